import { describe, expect, it } from 'vitest'
import { estimateBackground, subtractBackground } from '../../../src/analysis/diffim/background.js'
import { detectSources } from '../../../src/analysis/diffim/detect.js'
import { floatImage } from '../../../src/analysis/float-image.js'
import { mulberry32 } from '../../../src/analysis/sensor-noise.js'
import { addMoffatStar } from '../../../src/analysis/sky/moffat.js'
import { DEFAULT_MOCK_SKY, mockSkyCatalogue, renderMockSkyFrame } from '../../../src/analysis/sky/mock-sky.js'
import { mockSkyToPixel } from '../../../src/analysis/sky/mock-sky-wcs.js'

const options = { ...DEFAULT_MOCK_SKY, width: 512, height: 512, stars: 150, frames: 4, seed: 11 }
const noiseSigma = Math.sqrt(options.skyAdu * options.gain + options.readNoiseE ** 2) / options.gain

function noiseImage(width: number, height: number, sigma: number, seed: number): ReturnType<typeof floatImage> {
  const random = mulberry32(seed)
  const image = floatImage(width, height)
  for (let i = 0; i < image.data.length; i++) {
    image.data[i] = sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  }
  return image
}

describe('estimateBackground', () => {
  it('recovers the sky level and the pixel noise of a star field', () => {
    const frame = renderMockSkyFrame(options, 0, 1)
    const background = estimateBackground(frame.image)
    const levels = background.level.data
    expect(levels.reduce((a, b) => Math.min(a, b))).toBeGreaterThan(options.skyAdu - 2)
    expect(levels.reduce((a, b) => Math.max(a, b))).toBeLessThan(options.skyAdu + 2)
    expect(background.globalRms / noiseSigma).toBeGreaterThan(0.95)
    expect(background.globalRms / noiseSigma).toBeLessThan(1.05)
  })

  it('follows a sky gradient and ignores masked pixels', () => {
    const image = noiseImage(256, 256, 5, 3)
    for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) image.data[y * 256 + x]! += 100 + 0.2 * x
    for (let i = 0; i < 256 * 40; i++) image.data[i] = Number.NaN
    const background = estimateBackground(image, { box: 32 })
    for (const [x, y] of [
      [16, 200],
      [128, 128],
      [240, 100],
    ] as const) {
      expect(Math.abs(background.level.data[y * 256 + x]! - (100 + 0.2 * x))).toBeLessThan(1.5)
    }
    expect(Number.isNaN(background.globalRms)).toBe(false)
  })
})

describe('detectSources', () => {
  it('finds the catalogue stars of a mock-sky frame where the truth puts them, with few spurious detections', () => {
    const frame = renderMockSkyFrame(options, 0, 1)
    const background = estimateBackground(frame.image)
    const { detections } = detectSources(subtractBackground(frame.image, background), {
      fwhm: frame.seeingFwhmPx,
      noise: background.rms,
      negative: false,
    })
    const edge = 2 * frame.seeingFwhmPx + 2
    const stars = mockSkyCatalogue(options)
      .map((star) => ({ star, pixel: mockSkyToPixel(frame.wcs, star.ra, star.dec)! }))
      .filter(({ pixel: [x, y] }) => x > edge && y > edge && x < 512 - edge && y < 512 - edge)
    // Bright (mag ≤ 18, S/N ≳ 15 in a 2–2.6″ seeing), isolated stars: every one must be found within 0.5 px.
    const isolated = stars.filter(
      ({ star, pixel }) =>
        star.mag! <= 18 &&
        stars.every((other) => other.star === star || Math.hypot(other.pixel[0] - pixel[0], other.pixel[1] - pixel[1]) > 10),
    )
    expect(isolated.length).toBeGreaterThanOrEqual(6)
    for (const { pixel } of isolated) {
      const nearest = Math.min(...detections.map((d) => Math.hypot(d.x - pixel[0], d.y - pixel[1])))
      expect(nearest).toBeLessThan(0.5)
    }
    // Every detection lies on a catalogue star or an injected source (within 3 px): no noise peaks at 5σ.
    const sources = [...stars.map((s) => s.pixel), ...frame.truth.filter((t) => t.flux > 0).map((t) => [t.x, t.y])]
    const spurious = detections.filter((d) => sources.every(([x, y]) => Math.hypot(d.x - x!, d.y - y!) > 3))
    expect(spurious).toEqual([])
  })

  it('keeps negative sources with a negative S/N, near the value of PSF photometry', () => {
    const sigma = 10
    const image = noiseImage(128, 128, sigma, 5)
    const psf = { fwhm: 3, beta: 3 }
    addMoffatStar(image, 40.3, 60.7, -2000, psf)
    addMoffatStar(image, 90, 30, 2000, psf)
    const { detections } = detectSources(image, { fwhm: 3, noise: sigma })
    expect(detections).toHaveLength(2)
    const negative = detections.find((d) => d.snr < 0)!
    expect(Math.hypot(negative.x - 40.3, negative.y - 60.7)).toBeLessThan(0.5)
    // Optimal PSF-photometry S/N for this flux and noise is ≈ 2000 / (10 · √(4π σ²)) ≈ 44; the Gaussian filter on a
    // Moffat star gets most of it.
    expect(negative.snr).toBeLessThan(-30)
    expect(negative.snr).toBeGreaterThan(-50)
    expect(detectSources(image, { fwhm: 3, noise: sigma, negative: false }).detections).toHaveLength(1)
  })

  it('finds nothing in pure noise and nothing on the rim of a masked region', () => {
    const image = noiseImage(256, 256, 7, 9)
    for (let y = 100; y < 150; y++) for (let x = 0; x < 256; x++) image.data[y * 256 + x] = Number.NaN
    expect(detectSources(image, { fwhm: 2.5, noise: 7 }).detections).toEqual([])
  })

  it('stops at maxDetections and says so', () => {
    const image = noiseImage(128, 128, 1, 2)
    for (let i = 0; i < 30; i++) addMoffatStar(image, 10 + (i % 6) * 20, 10 + Math.floor(i / 6) * 22, 500, { fwhm: 2, beta: 3 })
    const result = detectSources(image, { fwhm: 2, noise: 1, maxDetections: 10 })
    expect(result.detections).toHaveLength(10)
    expect(result.truncated).toBe(true)
  })
})
