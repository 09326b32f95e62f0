import { describe, expect, it } from 'vitest'
import { mockSource } from '../../../src/stages/receive/mock-source.js'

async function collect(source: ReturnType<typeof mockSource>) {
  const images = []
  for await (const image of source) images.push(image)
  return images
}

describe('mockSource', () => {
  it('interleaves streams image by image with the original file names', async () => {
    const images = await collect(mockSource({ streams: ['a', 'b'], count: 3, changeEvery: 4 }))
    expect(images.map((image) => `${image.stream}:${image.imageNum}:${image.filename}`)).toEqual([
      'a:1:image_00001.jpg',
      'b:1:image_00001.jpg',
      'a:2:image_00002.jpg',
      'b:2:image_00002.jpg',
      'a:3:image_00003.jpg',
      'b:3:image_00003.jpg',
    ])
    expect(images.every((image) => image.known?.width === 350 && image.bytes !== null)).toBe(true)
  })

  it('resumes each stream where it stopped, in the order an uninterrupted run would use', async () => {
    const full = await collect(mockSource({ streams: ['a', 'b'], count: 4, changeEvery: 4 }))
    const resumed = await collect(
      mockSource({ streams: ['a', 'b'], count: 4, changeEvery: 4, startAt: (stream) => (stream === 'a' ? 3 : 2) }),
    )
    const tail = full.slice(3)
    expect(resumed.map((image) => `${image.stream}:${image.imageNum}`)).toEqual(tail.map((image) => `${image.stream}:${image.imageNum}`))
    resumed.forEach((image, index) => expect(Buffer.compare(image.bytes!, tail[index]!.bytes!)).toBe(0))
  })
})
