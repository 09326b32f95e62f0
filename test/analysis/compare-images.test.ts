import { describe, expect, it } from 'vitest'
import { measureDifference } from '../../src/analysis/compare-images.js'
import type { ImageMetrics } from '../../src/analysis/compare-images.js'
import type { RawImage } from '../../src/analysis/decode-image.js'

/** The metrics alone, without the difference range the same pass measures. */
function compareImages(previous: RawImage, current: RawImage, options: { pixelTolerance: number }): ImageMetrics {
  const { l2Norm, changedFraction, maxAbsDifference } = measureDifference(previous, current, options)
  return { l2Norm, changedFraction, maxAbsDifference }
}

function raw(width: number, height: number, values: number[]): RawImage {
  return { width, height, channels: 3, data: Uint8Array.from(values) }
}

describe('measureDifference', () => {
  const previous = raw(2, 1, [10, 20, 30, 100, 100, 100])
  const current = raw(2, 1, [13, 16, 30, 100, 100, 160])

  it('computes the L2 norm, changed fraction and largest difference exactly', () => {
    // Differences (3, -4, 0) and (0, 0, 60).
    expect(compareImages(previous, current, { pixelTolerance: 48 })).toEqual({
      l2Norm: Math.sqrt(9 + 16 + 3600),
      changedFraction: 0.5,
      maxAbsDifference: 60,
    })
  })

  it('counts a pixel as changed only when its largest channel difference is strictly above the tolerance', () => {
    expect(compareImages(previous, current, { pixelTolerance: 60 }).changedFraction).toBe(0)
    expect(compareImages(previous, current, { pixelTolerance: 59 }).changedFraction).toBe(0.5)
    expect(compareImages(previous, current, { pixelTolerance: 3 }).changedFraction).toBe(1)
    expect(compareImages(previous, current, { pixelTolerance: 4 }).changedFraction).toBe(0.5)
  })

  it('uses signed differences (no uint8 wrap-around) in both directions', () => {
    const a = raw(1, 1, [5, 0, 255])
    const b = raw(1, 1, [3, 255, 0])
    expect(compareImages(a, b, { pixelTolerance: 0 })).toEqual({
      l2Norm: Math.sqrt(4 + 255 * 255 * 2),
      changedFraction: 1,
      maxAbsDifference: 255,
    })
    expect(compareImages(b, a, { pixelTolerance: 0 }).l2Norm).toBe(Math.sqrt(4 + 255 * 255 * 2))
  })

  it('gives zeros for identical images', () => {
    const image = raw(
      3,
      2,
      Array.from({ length: 18 }, (_, index) => index * 14),
    )
    const copy = raw(3, 2, [...image.data])
    expect(compareImages(image, copy, { pixelTolerance: 0 })).toEqual({ l2Norm: 0, changedFraction: 0, maxAbsDifference: 0 })
  })

  it('counts changed pixels over a larger image', () => {
    const a = raw(10, 10, new Array<number>(300).fill(100))
    const values = new Array<number>(300).fill(100)
    values[0] = 200 // pixel 0, red
    values[3 * 57 + 2] = 0 // pixel 57, blue
    values[3 * 99 + 1] = 120 // pixel 99, below the tolerance
    const metrics = compareImages(a, raw(10, 10, values), { pixelTolerance: 48 })
    expect(metrics.changedFraction).toBe(0.02)
    expect(metrics.maxAbsDifference).toBe(100)
    expect(metrics.l2Norm).toBe(Math.sqrt(100 * 100 * 2 + 20 * 20))
  })

  it('throws on images of different sizes or malformed data', () => {
    expect(() => compareImages(raw(2, 1, [0, 0, 0, 0, 0, 0]), raw(1, 2, [0, 0, 0, 0, 0, 0]), { pixelTolerance: 0 })).toThrow(
      expect.objectContaining({ code: 'IMGPIPE_INTERNAL', message: 'cannot compare images of different sizes: 2x1 and 1x2' }),
    )
    expect(() => compareImages(raw(2, 1, [0, 0, 0]), raw(2, 1, [0, 0, 0]), { pixelTolerance: 0 })).toThrow(/holds 3 bytes instead of 6/)
  })
})

describe('measureDifference', () => {
  it('gives the metrics of compareImages and the signed extremes of current − previous', () => {
    const previous = raw(2, 1, [10, 20, 30, 100, 100, 100])
    const current = raw(2, 1, [13, 16, 30, 100, 100, 160])
    expect(measureDifference(previous, current, { pixelTolerance: 48 })).toEqual({
      ...compareImages(previous, current, { pixelTolerance: 48 }),
      minDifference: -4,
      maxDifference: 60,
    })
  })

  it('keeps the true extremes when every difference has the same sign (not clamped at 0)', () => {
    const range = measureDifference(raw(1, 2, [0, 0, 0, 9, 9, 9]), raw(1, 2, [2, 3, 4, 14, 19, 12]), { pixelTolerance: 0 })
    expect(range).toMatchObject({ minDifference: 2, maxDifference: 10, maxAbsDifference: 10 })
    expect(measureDifference(raw(1, 1, [9, 9, 9]), raw(1, 1, [1, 2, 3]), { pixelTolerance: 0 })).toMatchObject({
      minDifference: -8,
      maxDifference: -6,
      maxAbsDifference: 8,
    })
  })
})
