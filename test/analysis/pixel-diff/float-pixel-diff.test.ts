import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { mulberry32 } from '../../../src/analysis/sensor-noise.js'
import type { FloatImage } from '../../../src/analysis/float-image.js'
import {
  analyzeFloatPair,
  CHANGE_SIGMAS,
  floatDifference,
  measureFloatDifference,
  resampleNearest,
} from '../../../src/analysis/pixel-diff/float-pixel-diff.js'
import { pixelDiff } from '../../../src/analysis/pixel-diff/pixel-diff.js'
import { addMoffatStar } from '../../../src/analysis/sky/moffat.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame } from '../../../src/analysis/sky/mock-sky.js'
import type { ImageRecord } from '../../../src/core/types.js'

/** A small mock-sky field: stars, sky, Poisson and read noise (σ ≈ 15 ADU at 300 ADU sky). */
const SKY = { ...DEFAULT_MOCK_SKY, width: 192, height: 160, stars: 60, seed: 7 }
const OPTIONS = { eventThreshold: 0.001 }

let frame: FloatImage
beforeAll(() => {
  frame = renderMockSkyFrame(SKY, 0, 1).image
})

function copy(image: FloatImage): FloatImage {
  return { width: image.width, height: image.height, data: Float32Array.from(image.data) }
}

/** The same exposure with fresh Gaussian noise of `sigma` ADU: the scene unchanged, the pixels all different. */
function renoised(image: FloatImage, sigma: number, seed: number): FloatImage {
  const random = mulberry32(seed)
  const out = copy(image)
  for (let i = 0; i < out.data.length; i++) {
    const gauss = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
    out.data[i]! += sigma * gauss
  }
  return out
}

/** The pixels that count as changed, found the way the module comment defines them. */
function changedPixels(previous: FloatImage, current: FloatImage): number[] {
  const { median, sigma } = measureFloatDifference(previous, current)
  const changed: number[] = []
  for (let i = 0; i < current.data.length; i++) {
    const d = current.data[i]! - previous.data[i]!
    if (Number.isFinite(d) && Math.abs(d - median) > CHANGE_SIGMAS * sigma) changed.push(i)
  }
  return changed
}

describe('pixel-diff on float pixels (FITS)', () => {
  it('finds identical frames unchanged: zero metrics, no event', async () => {
    const pair = await analyzeFloatPair(frame, copy(frame), OPTIONS)
    expect(pair).toEqual({ metrics: { l2Norm: 0, changedFraction: 0, maxAbsDifference: 0, sizeChanged: false }, event: null })
  })

  it('finds two exposures of an unchanged sky unchanged: the noise is measured, not counted as change', async () => {
    const before = renoised(frame, 10, 1)
    const after = renoised(frame, 10, 2)
    const measured = measureFloatDifference(before, after)
    // Two independent σ = 10 noises: the difference has σ = 10√2 ≈ 14.1 (the robust estimate within a few per cent).
    expect(measured.sigma).toBeGreaterThan(13)
    expect(measured.sigma).toBeLessThan(15.5)
    expect(measured.changedPixels).toBeLessThanOrEqual(1)
    expect((await analyzeFloatPair(before, after, OPTIONS)).event).toBeNull()
  })

  it('a new bright source: an event whose changed pixels lie exactly around it, with metrics in image units', async () => {
    const before = renoised(frame, 10, 1)
    const after = renoised(frame, 10, 2)
    const [x, y] = [101.3, 77.6]
    addMoffatStar(after, x, y, 200_000, { fwhm: 2.5, beta: 3 })
    const changed = changedPixels(before, after)
    expect(changed.length).toBeGreaterThan(20)
    for (const index of changed) {
      const px = index % after.width
      const py = Math.floor(index / after.width)
      expect(Math.hypot(px - x, py - y)).toBeLessThan(8)
    }
    // The peak pixel is among them.
    expect(changed).toContain(Math.round(y) * after.width + Math.round(x))
    const pair = await analyzeFloatPair(before, after, OPTIONS)
    expect(pair.metrics.changedFraction).toBeCloseTo(changed.length / (after.width * after.height), 12)
    // Image units, not 0..255: the star's peak is thousands of ADU.
    expect(pair.metrics.maxAbsDifference).toBeGreaterThan(5000)
    expect(pair.event?.eventType).toBe('changed')
    const jpeg = await sharp(pair.event!.differenceJpeg).metadata()
    expect([jpeg.format, jpeg.width, jpeg.height]).toEqual(['jpeg', after.width, after.height])
  })

  it('leaves masked (NaN) pixels out: a masked block with wild values on the other side changes nothing', async () => {
    const before = renoised(frame, 10, 1)
    const after = renoised(frame, 10, 2)
    for (let y = 20; y < 60; y++) {
      for (let x = 30; x < 90; x++) {
        after.data[y * after.width + x] = Number.NaN
        before.data[y * before.width + x] = 1e9 // would be a huge change if compared
      }
    }
    before.data[5] = Number.POSITIVE_INFINITY
    const measured = measureFloatDifference(before, after)
    expect(measured.comparedPixels).toBe(after.width * after.height - 40 * 60 - 1)
    expect(measured.changedPixels).toBeLessThanOrEqual(1)
    expect(measured.maxAbsDifference).toBeLessThan(200)
    expect(Number.isFinite(measured.l2Norm)).toBe(true)
    const pair = await analyzeFloatPair(before, after, OPTIONS)
    expect(pair.event).toBeNull()
    // The difference image keeps them masked.
    expect(floatDifference(before, after).data[20 * after.width + 30]).toBeNaN()
  })

  it('a change of sky level alone is not a change of every pixel', async () => {
    const before = renoised(frame, 10, 1)
    const after = renoised(frame, 10, 2)
    for (let i = 0; i < after.data.length; i++) after.data[i]! += 250
    const measured = measureFloatDifference(before, after)
    expect(measured.median).toBeCloseTo(250, -1)
    expect(measured.changedPixels).toBeLessThanOrEqual(1)
    expect(measured.maxAbsDifference).toBeGreaterThan(250)
  })

  it('a frame of another size is a size_changed event, compared on the previous frame resampled', async () => {
    const small = resampleNearest(frame, 96, 80)
    const pair = await analyzeFloatPair(small, frame, OPTIONS)
    expect(pair.metrics.sizeChanged).toBe(true)
    expect(pair.event?.eventType).toBe('size_changed')
  })

  it('overwrites the previous frame with the difference only when given it (consumePrevious)', async () => {
    const before = renoised(frame, 10, 1)
    const after = renoised(frame, 10, 2)
    addMoffatStar(after, 50, 50, 500_000, { fwhm: 2.5, beta: 3 })
    const kept = Float32Array.from(before.data)
    await analyzeFloatPair(before, after, OPTIONS)
    expect(before.data).toEqual(kept)
    await analyzeFloatPair(before, after, { ...OPTIONS, consumePrevious: true })
    expect(before.data[50 * before.width + 50]).toBeCloseTo(after.data[50 * after.width + 50]! - kept[50 * before.width + 50]!, 2)
  })
})

describe('the pixel-diff analyzer', () => {
  const record = { imageId: 1, stream: 's', imageNum: 2, format: 'fits' } as ImageRecord
  const analyzer = pixelDiff({ pixelTolerance: 48, eventThreshold: 0.001 })

  it('keeps the name and version events were always recorded under', () => {
    expect([analyzer.name, analyzer.version]).toEqual(['imgpipe-pixel-diff', '1.0.0'])
  })

  it('measures nothing for the first image of a stream', async () => {
    const output = await analyzer.analyze({ image: { record, pixels: frame }, previous: null })
    expect(output).toEqual({ measurements: { l2Norm: null, changedFraction: null, maxAbsDifference: null }, events: [], derivatives: [] })
  })

  it('returns an event with its difference image as a JPEG derivative', async () => {
    const after = copy(frame)
    addMoffatStar(after, 40, 40, 500_000, { fwhm: 2.5, beta: 3 })
    const output = await analyzer.analyze({ image: { record, pixels: after }, previous: { record, pixels: frame } })
    expect(output.events).toEqual([{ eventType: 'changed', derivative: 'difference' }])
    expect(output.derivatives).toMatchObject([{ name: 'difference', contentType: 'image/jpeg' }])
    expect(output.measurements.changedFraction).toBeGreaterThan(0.001)
  })

  it('compares a picture and a FITS frame of one stream as floats (the picture as the mean of its channels)', async () => {
    const picture = { width: 10, height: 10, channels: 3 as const, data: new Uint8Array(300).fill(30) }
    picture.data.set([0, 30, 60], 9) // pixel 3: mean 30 as well
    const science = { width: 10, height: 10, data: new Float32Array(100).fill(30) }
    science.data[6] = 130
    const output = await analyzer.analyze({ image: { record, pixels: science }, previous: { record, pixels: picture } })
    expect(output.measurements).toEqual({ l2Norm: 100, changedFraction: 1 / 100, maxAbsDifference: 100 })
    expect(picture.data[9]).toBe(0) // the caller's picture is left as it was
  })
})
