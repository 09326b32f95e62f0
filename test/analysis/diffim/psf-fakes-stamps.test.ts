import { describe, expect, it } from 'vitest'
import { estimateBackground, subtractBackground } from '../../../src/analysis/diffim/background.js'
import { detectSources } from '../../../src/analysis/diffim/detect.js'
import { injectFakes, recoverFakes } from '../../../src/analysis/diffim/fakes.js'
import { measurePsf } from '../../../src/analysis/diffim/psf-measure.js'
import { cutStamp, stampCards } from '../../../src/analysis/diffim/stamps.js'
import { floatImage } from '../../../src/analysis/float-image.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame } from '../../../src/analysis/sky/mock-sky.js'
import { mockPixelToSky, type MockSkyWcs } from '../../../src/analysis/sky/mock-sky-wcs.js'

const options = { ...DEFAULT_MOCK_SKY, width: 768, height: 768, stars: 500, frames: 2, seed: 21 }

describe('measurePsf', () => {
  it('measures the seeing of a mock-sky frame from its own stars', () => {
    for (const frameNumber of [1, 2]) {
      const frame = renderMockSkyFrame(options, 0, frameNumber)
      const background = estimateBackground(frame.image)
      const psf = measurePsf(subtractBackground(frame.image, background), { fwhmGuess: 2.5, noise: background.rms })
      expect(psf.stars).toBeGreaterThanOrEqual(5)
      expect(psf.fwhm / frame.seeingFwhmPx).toBeGreaterThan(0.93)
      expect(psf.fwhm / frame.seeingFwhmPx).toBeLessThan(1.07)
      expect(psf.elongation).toBeLessThan(1.1)
      expect(psf.kernel.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    }
  })

  it('falls back to a Gaussian of the guess, saying so with stars = 0, on an image without stars', () => {
    const image = floatImage(100, 100)
    const psf = measurePsf(image, { fwhmGuess: 3, noise: 1 })
    expect(psf.stars).toBe(0)
    expect(psf.fwhm).toBe(3)
  })
})

describe('fakes', () => {
  it('come back from detection when bright and mostly not when far below the limit', () => {
    const frame = renderMockSkyFrame({ ...options, stars: 100 }, 0, 1)
    const background = estimateBackground(frame.image)
    const image = subtractBackground(frame.image, background)
    const psf = measurePsf(image, { fwhmGuess: 2.5, noise: background.rms, minSnr: 20 })
    const bright = injectFakes(image, psf, { count: 40, mags: [16, 17.5], zeroPoint: options.zeroPoint, seed: 1 })
    const faint = injectFakes(image, psf, { count: 40, mags: [22.5, 23], zeroPoint: options.zeroPoint, seed: 2 })
    expect(bright).toHaveLength(40)
    const { detections } = detectSources(image, { fwhm: psf.fwhm, noise: background.rms, negative: false })
    const brightBack = recoverFakes(bright, detections, 1.5)
    const faintBack = recoverFakes(faint, detections, 1.5)
    expect(brightBack.recovered.filter(Boolean).length).toBeGreaterThanOrEqual(38)
    expect(faintBack.recovered.filter(Boolean).length).toBeLessThanOrEqual(4)
    expect(brightBack.bins.reduce((n, bin) => n + bin.injected, 0)).toBe(40)
  })
})

describe('cutStamp', () => {
  it('cuts a 63×63 stamp centred on the source, NaN beyond the image, with a WCS moved to it', () => {
    const frame = renderMockSkyFrame({ ...options, width: 200, height: 200, stars: 10 }, 0, 1)
    const stamp = cutStamp(frame.image, 10.4, 190.6)
    expect(stamp.image.width).toBe(63)
    expect([stamp.x0, stamp.y0]).toEqual([10 - 31, 191 - 31])
    expect(stamp.image.data[31 * 63 + 31]).toBe(frame.image.data[191 * 200 + 10])
    expect(Number.isNaN(stamp.image.data[0]!)).toBe(true)
    expect(Number.isNaN(stamp.image.data[62 * 63 + 62]!)).toBe(true)
    const cards = stampCards(frame.cards, stamp)
    const value = (keyword: string): number => cards.find((card) => card.keyword === keyword)!.value as number
    const moved: MockSkyWcs = { ...frame.wcs, crpix: [value('CRPIX1'), value('CRPIX2')] }
    const [ra, dec] = mockPixelToSky(frame.wcs, 10, 191)
    const [sra, sdec] = mockPixelToSky(moved, 31, 31)
    expect(Math.abs(ra - sra) * 3.6e6).toBeLessThan(0.01)
    expect(Math.abs(dec - sdec) * 3.6e6).toBeLessThan(0.01)
    expect(() => cutStamp(frame.image, 5, 5, 64)).toThrow(/not odd/)
  })
})
