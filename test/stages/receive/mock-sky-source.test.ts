import { describe, expect, it } from 'vitest'
import { readFits } from '../../../src/analysis/fits/fits-reader.js'
import { headerLookup } from '../../../src/analysis/fits/header-card.js'
import { mockSkySource } from '../../../src/stages/receive/mock-sky-source.js'
import type { TruthRow } from '../../../src/analysis/sky/mock-sky.js'

async function collect(source: ReturnType<typeof mockSkySource>) {
  const images = []
  for await (const image of source) images.push(image)
  return images
}

const SMALL = { count: 3, seed: 7, size: 64 }

describe('mockSkySource', () => {
  it('yields FITS frames of one field per stream, frame by frame across the streams', async () => {
    const truth: TruthRow[] = []
    const images = await collect(mockSkySource({ ...SMALL, streams: ['a', 'b'], onTruth: (rows) => truth.push(...rows) }))
    expect(images.map((image) => `${image.stream}:${image.imageNum}:${image.filename}`)).toEqual([
      'a:1:image_00001.fits',
      'b:1:image_00001.fits',
      'a:2:image_00002.fits',
      'b:2:image_00002.fits',
      'a:3:image_00003.fits',
      'b:3:image_00003.fits',
    ])
    const fields = images.map((image) => {
      const read = readFits(image.bytes!, { maxPixels: 10_000 })
      expect([read.image.width, read.image.height]).toEqual([64, 64])
      const lookup = headerLookup(read.header)
      return `${String(lookup.get('FIELD'))}/${String(lookup.get('FRAMENUM'))}/${Number(lookup.get('CRVAL1')).toFixed(1)}`
    })
    expect(fields).toEqual([
      'field-a/1/150.1',
      'field-b/1/152.1',
      'field-a/2/150.1',
      'field-b/2/152.1',
      'field-a/3/150.1',
      'field-b/3/152.1',
    ])
    // Three injected changes per frame: the new source, the variable star, the moving object.
    expect(truth).toHaveLength(6 * 3)
    expect(new Set(truth.map((row) => row.kind))).toEqual(new Set(['new', 'variable', 'moving']))
  })

  it('writes the same bytes for the same seed, other bytes for another, and resumes where a stream stopped', async () => {
    const first = await collect(mockSkySource({ ...SMALL, streams: ['a'] }))
    const again = await collect(mockSkySource({ ...SMALL, streams: ['a'] }))
    const other = await collect(mockSkySource({ ...SMALL, seed: 8, streams: ['a'] }))
    const resumed = await collect(mockSkySource({ ...SMALL, streams: ['a'], startAt: () => 3 }))
    expect(again.map((image) => Buffer.compare(image.bytes!, first[image.imageNum! - 1]!.bytes!))).toEqual([0, 0, 0])
    expect(Buffer.compare(other[0]!.bytes!, first[0]!.bytes!)).not.toBe(0)
    expect(resumed.map((image) => image.imageNum)).toEqual([3])
    expect(Buffer.compare(resumed[0]!.bytes!, first[2]!.bytes!)).toBe(0)
  })
})
