import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { analyzePair } from '../../src/analysis/analyze-pair.js'
import { decodeImage } from '../../src/analysis/decode-image.js'
import { changesUpTo, isChangeImage, mockImages } from '../../src/analysis/mock-stream.js'
import type { MockImage, MockImagesOptions } from '../../src/analysis/mock-stream.js'
import { renderTeddyBear } from '../../src/analysis/teddy-bear.js'

async function collect(options: MockImagesOptions): Promise<MockImage[]> {
  const images: MockImage[] = []
  for await (const image of mockImages(options)) images.push(image)
  return images
}

describe('isChangeImage', () => {
  it('follows the original rule n % K == K - 1 (K = 4: 3, 7, 11...)', () => {
    const changes = Array.from({ length: 16 }, (_, index) => index + 1).filter((n) => isChangeImage(n, 4))
    expect(changes).toEqual([3, 7, 11, 15])
  })

  it('never makes image 1 a change, even for K = 1 and K = 2', () => {
    expect(isChangeImage(1, 1)).toBe(false)
    expect(isChangeImage(1, 2)).toBe(false)
    expect(isChangeImage(2, 1)).toBe(true)
    expect(isChangeImage(3, 2)).toBe(true)
    expect(isChangeImage(4, 2)).toBe(false)
  })

  it('rejects non-positive or fractional arguments', () => {
    expect(() => isChangeImage(0, 4)).toThrow(expect.objectContaining({ code: 'IMGPIPE_INTERNAL' }))
    expect(() => isChangeImage(3, 0)).toThrow(expect.objectContaining({ code: 'IMGPIPE_INTERNAL' }))
    expect(() => isChangeImage(2.5, 4)).toThrow(expect.objectContaining({ code: 'IMGPIPE_INTERNAL' }))
  })
})

describe('changesUpTo', () => {
  it('matches counting change images one by one', () => {
    for (let k = 1; k <= 7; k += 1) {
      let count = 0
      expect(changesUpTo(0, k)).toBe(0)
      for (let n = 1; n <= 60; n += 1) {
        if (isChangeImage(n, k)) count += 1
        expect(changesUpTo(n, k), `n=${n} k=${k}`).toBe(count)
      }
    }
  })

  it('is a closed form: image one billion costs nothing', () => {
    expect(changesUpTo(1_000_000_000, 4)).toBe(250_000_000)
  })
})

describe('mockImages', () => {
  it('yields images 1..count: 1 is the teddy bear, copies repeat the bytes, 3 and 7 change (K = 4)', async () => {
    const images = await collect({ count: 10, changeEvery: 4 })
    expect(images.map((image) => image.imageNum)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    const bytes = images.map((image) => image.bytes)
    expect(bytes[0]!.equals(await renderTeddyBear())).toBe(true)
    expect(bytes[1]!.equals(bytes[0]!)).toBe(true)
    expect(bytes[2]!.equals(bytes[1]!)).toBe(false)
    expect(bytes[3]!.equals(bytes[2]!)).toBe(true)
    const changedAt = images.filter((image, index) => index > 0 && !image.bytes.equals(bytes[index - 1]!)).map((image) => image.imageNum)
    expect(changedAt).toEqual([3, 7])
    expect(bytes[2]!.equals(await renderTeddyBear(350, 1))).toBe(true)
    expect(bytes[6]!.equals(await renderTeddyBear(350, 2))).toBe(true)
  })

  it('reuses one Buffer per orientation: copies cost nothing', async () => {
    const images = await collect({ count: 20, changeEvery: 2, size: 64 })
    expect(new Set(images.map((image) => image.bytes)).size).toBe(4)
    expect(images[1]!.bytes).toBe(images[0]!.bytes)
    // K = 2 changes at 3, 5, 7, 9: image 9 has turned four times, back to image 1's bytes.
    expect(images[8]!.bytes.equals(images[0]!.bytes)).toBe(true)
    expect(images[7]!.bytes.equals(images[0]!.bytes)).toBe(false)
  })

  it('gives identical bytes for image n whatever startAt', async () => {
    const full = await collect({ count: 16, changeEvery: 3, size: 64 })
    for (const startAt of [2, 5, 6, 11, 16]) {
      const resumed = await collect({ count: 16, changeEvery: 3, size: 64, startAt })
      expect(resumed.map((image) => image.imageNum)).toEqual(full.slice(startAt - 1).map((image) => image.imageNum))
      resumed.forEach((image, index) => {
        expect(image.bytes.equals(full[startAt - 1 + index]!.bytes), `image ${image.imageNum} from ${startAt}`).toBe(true)
      })
    }
  })

  it('yields nothing when startAt is past count, and rejects bad options', async () => {
    expect(await collect({ count: 3, changeEvery: 4, startAt: 4 })).toEqual([])
    expect(await collect({ count: 0, changeEvery: 4 })).toEqual([])
    await expect(collect({ count: 3, changeEvery: 0 })).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
    await expect(collect({ count: -1, changeEvery: 4 })).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
    await expect(collect({ count: 3, changeEvery: 4, startAt: 0 })).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
  })
})

describe('mockImages with sensor noise', () => {
  const analysis = { eventThreshold: 0.01, pixelTolerance: 48, maxImagePixels: 50_000_000, maxImageBytes: 100 * 1024 * 1024 }

  it('makes every image distinct, and the same image again on a resumed run', async () => {
    const images = await collect({ count: 6, changeEvery: 4, size: 64, noise: 6 })
    const hashes = new Set(images.map((image) => createHash('sha256').update(image.bytes).digest('hex')))
    expect(hashes.size).toBe(6)
    const resumed = await collect({ count: 6, changeEvery: 4, size: 64, noise: 6, startAt: 4 })
    expect(resumed.map((image) => image.bytes)).toEqual(images.slice(3).map((image) => image.bytes))
  })

  it('raises events only on the rotated images at the default threshold, never on noise alone', async () => {
    const images = await collect({ count: 8, changeEvery: 4, size: 128, noise: 8 })
    const events: number[] = []
    let previous = await decodeImage(images[0]!.bytes, analysis)
    for (const image of images.slice(1)) {
      const current = await decodeImage(image.bytes, analysis)
      const result = await analyzePair(previous, current, analysis)
      expect(result.metrics.maxAbsDifference).toBeGreaterThan(0)
      if (result.event !== null) events.push(image.imageNum)
      previous = current
    }
    expect(events).toEqual([3, 7])
  })
})
