import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { measureDifference } from '../../src/analysis/compare-images.js'
import type { RawImage } from '../../src/analysis/decode-image.js'
import { differenceImage, encodeJpeg } from '../../src/analysis/difference-image.js'

function raw(width: number, height: number, values: number[]): RawImage {
  return { width, height, channels: 3, data: Uint8Array.from(values) }
}

describe('differenceImage', () => {
  it('scales current − previous from its min..max over all channels to 0..255', () => {
    const previous = raw(2, 1, [0, 0, 0, 10, 10, 10])
    const current = raw(2, 1, [10, 0, 0, 0, 10, 20])
    // Differences 10, 0, 0, −10, 0, 10: min −10 → 0, max 10 → 255, 0 → 127.5 rounds to 128.
    const difference = differenceImage(previous, current)
    expect(difference).toMatchObject({ width: 2, height: 1, channels: 3 })
    expect([...difference.data]).toEqual([255, 128, 128, 0, 128, 255])
  })

  it('scales from the smallest difference even when no difference is negative', () => {
    const previous = raw(1, 1, [0, 0, 0])
    const current = raw(1, 1, [2, 4, 6])
    expect([...differenceImage(previous, current).data]).toEqual([0, 128, 255])
  })

  it('is all 0 when the difference is the same everywhere (identical, or a uniform shift)', () => {
    const previous = raw(2, 1, [1, 2, 3, 4, 5, 6])
    expect([...differenceImage(previous, raw(2, 1, [1, 2, 3, 4, 5, 6])).data]).toEqual([0, 0, 0, 0, 0, 0])
    expect([...differenceImage(previous, raw(2, 1, [6, 7, 8, 9, 10, 11])).data]).toEqual([0, 0, 0, 0, 0, 0])
  })

  it('uses the full −255..255 range and leaves its inputs untouched', () => {
    const previous = raw(1, 1, [255, 0, 128])
    const current = raw(1, 1, [0, 255, 128])
    expect([...differenceImage(previous, current).data]).toEqual([0, 255, 128])
    expect([...previous.data]).toEqual([255, 0, 128])
    expect([...current.data]).toEqual([0, 255, 128])
  })

  it('writes into the previous image when told it may (one full-size buffer less), with the same result', () => {
    const previous = raw(2, 1, [0, 0, 0, 10, 10, 10])
    const difference = differenceImage(previous, raw(2, 1, [10, 0, 0, 0, 10, 20]), true)
    expect([...difference.data]).toEqual([255, 128, 128, 0, 128, 255])
    expect(difference.data).toBe(previous.data)
    const uniform = raw(1, 1, [1, 2, 3])
    expect(differenceImage(uniform, raw(1, 1, [2, 3, 4]), true).data).toBe(uniform.data)
    expect([...uniform.data]).toEqual([0, 0, 0])
  })

  it('gives the same image from the range measureDifference found as from its own pass', () => {
    const previous = raw(3, 1, [0, 40, 200, 7, 7, 7, 255, 0, 90])
    const current = raw(3, 1, [30, 0, 201, 7, 9, 1, 0, 255, 90])
    const range = measureDifference(previous, current, { pixelTolerance: 48 })
    expect([...differenceImage(previous, current, false, range).data]).toEqual([...differenceImage(previous, current).data])
  })

  it('throws on images of different sizes', () => {
    expect(() => differenceImage(raw(1, 1, [0, 0, 0]), raw(1, 2, [0, 0, 0, 0, 0, 0]))).toThrow(/different sizes/)
  })
})

describe('encodeJpeg', () => {
  it('encodes pixels to a JPEG of the same size that decodes back to them (within JPEG noise)', async () => {
    const pixels = new Uint8Array(24 * 16 * 3).map((_, index) => (Math.floor(index / 3) % 24 < 12 ? 40 : 210))
    const jpeg = await encodeJpeg({ width: 24, height: 16, channels: 3, data: pixels })
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff])
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true })
    expect([info.width, info.height, info.channels]).toEqual([24, 16, 3])
    // Away from the edge between the halves, colours survive within a few levels.
    expect(Math.abs(data[0]! - 40)).toBeLessThanOrEqual(4)
    expect(Math.abs(data[(24 * 8 + 20) * 3]! - 210)).toBeLessThanOrEqual(4)
  })

  it('trades size for quality and rejects impossible qualities', async () => {
    const noise = new Uint8Array(64 * 64 * 3).map((_, index) => (index * 2654435761) >>> 24)
    const image: RawImage = { width: 64, height: 64, channels: 3, data: noise }
    expect((await encodeJpeg(image, 30)).length).toBeLessThan((await encodeJpeg(image, 95)).length)
    await expect(encodeJpeg(image, 0)).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
    await expect(encodeJpeg(image, 101)).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
  })
})
