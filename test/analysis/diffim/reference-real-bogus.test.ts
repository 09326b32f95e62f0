import { describe, expect, it } from 'vitest'
import { estimateBackground, subtractBackground } from '../../../src/analysis/diffim/background.js'
import { detectSources } from '../../../src/analysis/diffim/detect.js'
import { injectFakes, recoverFakes } from '../../../src/analysis/diffim/fakes.js'
import { measureSources } from '../../../src/analysis/diffim/measure.js'
import { measurePsf } from '../../../src/analysis/diffim/psf-measure.js'
import { REAL_BOGUS_THRESHOLD, realBogusOptions, realBogusScore } from '../../../src/analysis/diffim/real-bogus.js'
import { stackFrames } from '../../../src/analysis/diffim/reference-stack.js'
import { resampleAll } from '../../../src/analysis/diffim/resample.js'
import { subtractImages } from '../../../src/analysis/diffim/subtract.js'
import { floatImage, type FloatImage } from '../../../src/analysis/float-image.js'
import { mulberry32 } from '../../../src/analysis/sensor-noise.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame, type MockSkyFrame } from '../../../src/analysis/sky/mock-sky.js'
import { mockPixelToSky, mockSkyToPixel } from '../../../src/analysis/sky/mock-sky-wcs.js'

const options = { ...DEFAULT_MOCK_SKY, width: 512, height: 512, stars: 200, frames: 8, seed: 5 }

function noisy(sigma: number, seed: number): FloatImage {
  const random = mulberry32(seed)
  const image = floatImage(64, 64)
  for (let i = 0; i < image.data.length; i++) {
    image.data[i] = sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  }
  return image
}

describe('stackFrames', () => {
  it('has √N less noise than one frame and rejects what is in one frame only', () => {
    const frames = [1, 2, 3, 4].map((seed) => ({ image: noisy(10, seed), noise: 10 }))
    frames[2]!.image.data[100] = 5000 // a cosmic ray
    const stack = stackFrames(frames)
    const values = Array.from(stack.image.data)
    const sd = Math.sqrt(values.reduce((a, b) => a + b * b, 0) / values.length)
    expect(sd / 5).toBeGreaterThan(0.9)
    expect(sd / 5).toBeLessThan(1.1)
    expect(stack.noise.data[0]).toBeCloseTo(5, 5)
    expect(Math.abs(stack.image.data[100]!)).toBeLessThan(30)
    expect(stack.depth[100]).toBe(3)
    expect(() => stackFrames([])).toThrow(/at least one frame/)
  })
})

describe('a reference stack, subtraction and the real-bogus score on the mock sky', () => {
  it('keeps the injected changes and fakes and rejects subtraction residuals', () => {
    const prepared = (frame: MockSkyFrame) => {
      const background = estimateBackground(frame.image)
      return { image: subtractBackground(frame.image, background), noise: background.rms }
    }
    const scienceFrame = renderMockSkyFrame(options, 0, 6)
    const mapTo = (from: MockSkyFrame) => (x: Float64Array, y: Float64Array) => {
      for (let i = 0; i < x.length; i++) {
        const [r, d] = mockPixelToSky(scienceFrame.wcs, x[i]!, y[i]!)
        const [rx, ry] = mockSkyToPixel(from.wcs, r, d)!
        x[i] = rx
        y[i] = ry
      }
    }
    // The reference: frames 1–3, before the new source appears (frame 5), aligned to the science frame.
    const aligned = [1, 2, 3].map((n) => {
      const frame = renderMockSkyFrame(options, 0, n)
      const p = prepared(frame)
      const map = mapTo(frame)
      const [image, noise] = resampleAll([p.image, p.noise], 512, 512, map)
      return { image: image!, noise: noise! }
    })
    const stack = stackFrames(aligned)
    const referencePsf = measurePsf(stack.image, { fwhmGuess: 2.5, noise: stack.noise, minSnr: 20 })
    const science = prepared(scienceFrame)
    const sciencePsf = measurePsf(science.image, { fwhmGuess: 2.5, noise: science.noise, minSnr: 20 })
    const fakes = injectFakes(science.image, sciencePsf, { count: 20, mags: [17, 18], zeroPoint: 26, seed: 3 })
    const result = subtractImages({ ...science, psf: sciencePsf }, { image: stack.image, noise: stack.noise, psf: referencePsf })
    const { detections } = detectSources(result.difference, { fwhm: result.psf.fwhm, noise: result.noise })
    const measured = measureSources(result.difference, detections, { psf: result.psf, noise: result.noise })
    const scores = measured.map((m) => realBogusScore(m, realBogusOptions(result.psf)))
    const real = detections.filter((_, i) => scores[i]! >= REAL_BOGUS_THRESHOLD)
    const truth = scienceFrame.truth.filter((t) => t.kind !== 'star')
    for (const t of truth.filter((t) => t.kind !== 'variable')) {
      expect(real.some((d) => d.snr > 0 && Math.hypot(d.x - t.x, d.y - t.y) < 1.5)).toBe(true)
    }
    const { recovered } = recoverFakes(fakes, real, 1.5)
    expect(recovered.filter(Boolean).length).toBeGreaterThanOrEqual(18)
    const explained = [...truth.map((t) => [t.x, t.y]), ...fakes.map((f) => [f.x, f.y])]
    const bogus = real.filter((d) => explained.every(([x, y]) => Math.hypot(d.x - x!, d.y - y!) > 3))
    const residuals = detections.filter((d) => explained.every(([x, y]) => Math.hypot(d.x - x!, d.y - y!) > 3))
    // Noise peaks and star residuals: few reach 5σ once the correlated noise is calibrated, fewer pass the cut.
    expect(residuals.length).toBeLessThanOrEqual(15)
    expect(bogus.length).toBeLessThanOrEqual(1)
  })
})
