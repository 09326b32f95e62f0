import { describe, expect, it } from 'vitest'
import { estimateBackground, subtractBackground } from '../../../src/analysis/diffim/background.js'
import { detectSources } from '../../../src/analysis/diffim/detect.js'
import { measurePsf } from '../../../src/analysis/diffim/psf-measure.js'
import { resampleAll } from '../../../src/analysis/diffim/resample.js'
import { subtractImages, type SubtractInput } from '../../../src/analysis/diffim/subtract.js'
import { floatImage } from '../../../src/analysis/float-image.js'
import { addMoffatStar } from '../../../src/analysis/sky/moffat.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame, type MockSkyFrame } from '../../../src/analysis/sky/mock-sky.js'
import { mockPixelToSky, mockSkyToPixel } from '../../../src/analysis/sky/mock-sky-wcs.js'

const options = { ...DEFAULT_MOCK_SKY, width: 512, height: 512, stars: 200, frames: 6, seed: 5 }

function prepared(frame: MockSkyFrame): SubtractInput {
  const background = estimateBackground(frame.image)
  const image = subtractBackground(frame.image, background)
  return { image, noise: background.rms, psf: measurePsf(image, { fwhmGuess: 2.5, noise: background.rms, minSnr: 20 }) }
}

describe('resample', () => {
  it('moves a star to where the science WCS puts its sky position, keeping its flux', () => {
    const reference = renderMockSkyFrame(options, 0, 1)
    const science = renderMockSkyFrame(options, 0, 2)
    const star = floatImage(512, 512)
    const [ra, dec] = mockPixelToSky(reference.wcs, 200.3, 300.6)
    addMoffatStar(star, 200.3, 300.6, 10_000, { fwhm: 3, beta: 3 })
    const [aligned] = resampleAll([star], 512, 512, (x, y) => {
      for (let i = 0; i < x.length; i++) {
        const [r, d] = mockPixelToSky(science.wcs, x[i]!, y[i]!)
        const [rx, ry] = mockSkyToPixel(reference.wcs, r, d)!
        x[i] = rx
        y[i] = ry
      }
    })
    const [sx, sy] = mockSkyToPixel(science.wcs, ra, dec)!
    let w = 0
    let cx = 0
    let cy = 0
    for (let y = Math.round(sy) - 10; y <= Math.round(sy) + 10; y++) {
      for (let x = Math.round(sx) - 10; x <= Math.round(sx) + 10; x++) {
        const v = aligned!.data[y * 512 + x]!
        w += v
        cx += v * x
        cy += v * y
      }
    }
    expect(Math.hypot(cx / w - sx, cy / w - sy)).toBeLessThan(0.02)
    expect(w / 10_000).toBeGreaterThan(0.98)
    expect(w / 10_000).toBeLessThan(1.01)
  })
})

describe('resampleAll of a pure translation', () => {
  it('moves a star by the shift as the per-pixel path does and keeps its flux and noise map', () => {
    const star = floatImage(256, 256)
    addMoffatStar(star, 120.4, 130.7, 10_000, { fwhm: 3, beta: 3 })
    const flat = floatImage(256, 256, 5)
    // Science pixel (x, y) is reference pixel (x + 7.3, y − 4.6): the star lands at (113.1, 135.3).
    const [moved, noise] = resampleAll([star, flat], 256, 256, (x, y) => {
      for (let i = 0; i < x.length; i++) {
        x[i] = x[i]! + 7.3
        y[i] = y[i]! - 4.6
      }
    })
    const centroid = (image: ReturnType<typeof floatImage>, x0: number, y0: number): [number, number, number] => {
      let w = 0
      let cx = 0
      let cy = 0
      for (let y = y0 - 25; y <= y0 + 25; y++) {
        for (let x = x0 - 25; x <= x0 + 25; x++) {
          const v = image.data[y * 256 + x]!
          w += v
          cx += v * x
          cy += v * y
        }
      }
      return [cx / w, cy / w, w]
    }
    const [ix, iy, iw] = centroid(star, 120, 131)
    const [mx, my, mw] = centroid(moved!, 113, 135)
    // Lanczos-3 itself moves a FWHM-3 star's centroid by ~0.02 px at these sub-pixel shifts (the per-pixel path too).
    expect(Math.hypot(mx - (ix - 7.3), my - (iy + 4.6))).toBeLessThan(0.03)
    expect(Math.abs(mw / iw - 1)).toBeLessThan(0.005)
    expect(noise!.data[100 * 256 + 100]).toBeCloseTo(5, 5)
    // Where the footprint leaves the reference (x + 7.3 > 252.9) there is nothing.
    expect(noise!.data[100 * 256 + 250]).toBeNaN()
  })
})

describe('subtractImages on the mock sky', () => {
  it('finds the new source, the variable and the moving object where the truth puts them, and little else', () => {
    const appears = 4
    const referenceFrame = renderMockSkyFrame(options, 0, 1)
    const scienceFrame = renderMockSkyFrame(options, 0, appears)
    const reference = prepared(referenceFrame)
    const science = prepared(scienceFrame)
    const map = (x: Float64Array, y: Float64Array): void => {
      for (let i = 0; i < x.length; i++) {
        const [r, d] = mockPixelToSky(scienceFrame.wcs, x[i]!, y[i]!)
        const [rx, ry] = mockSkyToPixel(referenceFrame.wcs, r, d)!
        x[i] = rx
        y[i] = ry
      }
    }
    const [alignedImage, alignedNoise] = resampleAll([reference.image, reference.noise as ReturnType<typeof floatImage>], 512, 512, map)
    const aligned: SubtractInput = { image: alignedImage!, noise: alignedNoise!, psf: reference.psf }
    const result = subtractImages(science, aligned)
    expect(result.fluxScale).toBeGreaterThan(0.97)
    expect(result.fluxScale).toBeLessThan(1.03)
    const { detections } = detectSources(result.difference, { fwhm: result.psf.fwhm, noise: result.noise })
    const near = (x: number, y: number, sign: number): boolean =>
      detections.some((d) => Math.sign(d.snr) === sign && Math.hypot(d.x - x, d.y - y) < 1.5)
    const truth = (kind: string, frame: MockSkyFrame) => frame.truth.find((t) => t.kind === kind)!
    const fresh = truth('new', scienceFrame)
    expect(near(fresh.x, fresh.y, 1)).toBe(true)
    const variableNow = truth('variable', scienceFrame)
    const variableThen = truth('variable', referenceFrame)
    expect(near(variableNow.x, variableNow.y, Math.sign(variableNow.flux - variableThen.flux))).toBe(true)
    const movingNow = truth('moving', scienceFrame)
    const movingThen = truth('moving', referenceFrame)
    const [mx, my] = mockSkyToPixel(scienceFrame.wcs, movingThen.ra, movingThen.dec)!
    expect(near(movingNow.x, movingNow.y, 1)).toBe(true)
    expect(near(mx, my, -1)).toBe(true)
    // Everything else is a subtraction residual of a bright star; a handful at most on a 512² frame.
    const expected = [
      [fresh.x, fresh.y],
      [variableNow.x, variableNow.y],
      [movingNow.x, movingNow.y],
      [mx, my],
    ]
    const others = detections.filter((d) => expected.every(([x, y]) => Math.hypot(d.x - x!, d.y - y!) > 3))
    expect(others.length).toBeLessThanOrEqual(8)
  })
})
