import { describe, expect, it } from 'vitest'
import { floatImage, type FloatImage } from '../../../src/analysis/float-image.js'
import { addMoffatStar, moffatEnclosed, moffatRadius } from '../../../src/analysis/sky/moffat.js'
import {
  DEFAULT_MOCK_SKY,
  mockSkyCatalogue,
  newSourceFrame,
  renderMockSkyFrame,
  truthCsv,
  type MockSkyOptions,
} from '../../../src/analysis/sky/mock-sky.js'
import { mockPixelToSky, mockSkyToPixel } from '../../../src/analysis/sky/mock-sky-wcs.js'
import { hasPythonModule, pythonJson } from '../../support/python-oracle.js'

const small: MockSkyOptions = { ...DEFAULT_MOCK_SKY, width: 256, height: 256, stars: 60, frames: 6, seed: 7 }

/** Background-subtracted sum in a box of half-size `r` around (x, y), with the sky estimated in an annulus. */
function aperture(image: FloatImage, x: number, y: number, r: number): number {
  const cx = Math.round(x)
  const cy = Math.round(y)
  const ring: number[] = []
  let sum = 0
  let count = 0
  for (let py = cy - 2 * r; py <= cy + 2 * r; py++) {
    for (let px = cx - 2 * r; px <= cx + 2 * r; px++) {
      const value = image.data[py * image.width + px]!
      if (Math.abs(px - cx) <= r && Math.abs(py - cy) <= r) {
        sum += value
        count += 1
      } else ring.push(value)
    }
  }
  ring.sort((a, b) => a - b)
  return sum - count * ring[ring.length >> 1]!
}

describe('Moffat stars', () => {
  it('put the whole flux into the image but the 0.5 % beyond the drawing radius', () => {
    const psf = { fwhm: 2.5, beta: 3 }
    const image = floatImage(64, 64)
    addMoffatStar(image, 31.3, 30.8, 10_000, psf)
    const total = image.data.reduce((a, b) => a + b, 0)
    expect(moffatEnclosed(psf, moffatRadius(psf))).toBeGreaterThan(0.994)
    expect(total / 10_000).toBeGreaterThan(0.99)
    expect(total / 10_000).toBeLessThan(1.001)
  })

  it('have the FWHM they were asked for', () => {
    const psf = { fwhm: 4, beta: 3 }
    const image = floatImage(65, 65)
    addMoffatStar(image, 32, 32, 1e6, psf)
    const row = Array.from({ length: 65 }, (_, x) => image.data[32 * 65 + x]!)
    const peak = row[32]!
    // Linear interpolation of the half-maximum crossing on each side.
    const crossing = (direction: 1 | -1): number => {
      let x = 32
      while (row[x + direction]! > peak / 2) x += direction
      const a = row[x]!
      const b = row[x + direction]!
      return x + (direction * (a - peak / 2)) / (a - b)
    }
    expect(crossing(1) - crossing(-1)).toBeCloseTo(4, 0.5)
  })
})

describe('the mock sky', () => {
  it('renders the same pixels and truth for the same seed, and other pixels for another', () => {
    const a = renderMockSkyFrame(small, 0, 2)
    const b = renderMockSkyFrame(small, 0, 2)
    const c = renderMockSkyFrame({ ...small, seed: 8 }, 0, 2)
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true)
    expect(a.truth).toEqual(b.truth)
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(c.image.data.buffer))).toBe(false)
  })

  it('has the sky level and the noise of its sky, gain and read noise in empty regions', () => {
    const frame = renderMockSkyFrame({ ...small, stars: 0 }, 0, 1)
    const values = Array.from(frame.image.data)
    // Keep pixels far from the three injected sources.
    const far = values.filter((_, i) => {
      const x = i % 256
      const y = Math.floor(i / 256)
      return frame.truth.every((t) => Math.hypot(t.x - x, t.y - y) > 15)
    })
    const mean = far.reduce((a, b) => a + b, 0) / far.length
    const sd = Math.sqrt(far.reduce((a, b) => a + (b - mean) ** 2, 0) / far.length)
    const expected = Math.sqrt(small.skyAdu * small.gain + small.readNoiseE ** 2) / small.gain
    expect(mean).toBeCloseTo(small.skyAdu, 0)
    expect(sd / expected).toBeGreaterThan(0.97)
    expect(sd / expected).toBeLessThan(1.03)
  })

  it('injects a new source from half-way on, where its truth row says, with its flux', () => {
    const appears = newSourceFrame(small)
    const before = renderMockSkyFrame(small, 0, appears - 1)
    const after = renderMockSkyFrame(small, 0, appears)
    const rowBefore = before.truth.find((t) => t.kind === 'new')!
    const rowAfter = after.truth.find((t) => t.kind === 'new')!
    expect(rowBefore.flux).toBe(0)
    expect(rowAfter.flux).toBeGreaterThan(1000)
    const measured = aperture(after.image, rowAfter.x, rowAfter.y, 8)
    // Poisson noise of sky and source over a 17×17 box is ≈ 300 ADU; allow 5σ.
    expect(Math.abs(measured - rowAfter.flux)).toBeLessThan(1500)
    expect(Math.abs(aperture(before.image, rowBefore.x, rowBefore.y, 8))).toBeLessThan(1500)
  })

  it('moves its moving object by more than an association radius between frames, and varies its variable', () => {
    const tracks = [1, 2, 3].map((frame) => renderMockSkyFrame(small, 0, frame).truth)
    const moving = tracks.map((truth) => truth.find((t) => t.kind === 'moving')!)
    for (let i = 1; i < moving.length; i++) {
      const cosDec = Math.cos((moving[i]!.dec * Math.PI) / 180)
      const arcsec = Math.hypot((moving[i]!.ra - moving[i - 1]!.ra) * cosDec, moving[i]!.dec - moving[i - 1]!.dec) * 3600
      expect(arcsec).toBeGreaterThan(3)
    }
    const variable = tracks.map((truth) => truth.find((t) => t.kind === 'variable')!.flux)
    expect(new Set(variable).size).toBe(3)
  })

  it('writes the observation and WCS keywords an astronomer filters on', () => {
    const frame = renderMockSkyFrame(small, 0, 3)
    const value = (keyword: string): unknown => frame.cards.find((card) => card.keyword === keyword)?.value
    expect(value('FILTER')).toBe('r')
    expect(value('MJD-OBS')).toBeCloseTo(small.startMjd + 2 * small.cadenceDays, 9)
    expect(value('DATE-OBS')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/)
    expect(value('CTYPE1')).toBe('RA---TAN-SIP')
    expect(value('OBJECT')).toBe('field-a')
    expect(mockSkyCatalogue(small)).toHaveLength(60)
    expect(truthCsv(frame.truth).split('\n')[0]).toBe('field,frame,kind,id,ra,dec,x,y,flux,mag')
  })

  it('maps pixels to the sky and back to 1e-8 pixel', () => {
    const { wcs } = renderMockSkyFrame(small, 0, 1)
    for (const [x, y] of [
      [0, 0],
      [255, 0],
      [128.5, 77.25],
      [255, 255],
    ] as const) {
      const [ra, dec] = mockPixelToSky(wcs, x, y)
      const [bx, by] = mockSkyToPixel(wcs, ra, dec)!
      expect(Math.abs(bx - x)).toBeLessThan(1e-8)
      expect(Math.abs(by - y)).toBeLessThan(1e-8)
    }
  })

  it.runIf(hasPythonModule('astropy', 'python3-astropy'))(
    'places every truth source where astropy puts its sky position with the frame’s header (to 1e-4 pixel)',
    async () => {
      const frame = renderMockSkyFrame({ ...DEFAULT_MOCK_SKY, stars: 10, frames: 4 }, 0, 4)
      const header = Object.fromEntries(frame.cards.filter((card) => card.value !== undefined).map((card) => [card.keyword, card.value]))
      const script = `
import json, sys, warnings
from astropy.io import fits
from astropy.wcs import WCS
warnings.simplefilter('ignore')
data = json.load(sys.stdin)
header = fits.Header()
header['NAXIS'] = 2
header['NAXIS1'] = 1024
header['NAXIS2'] = 1024
for key, value in data['header'].items():
    header[key] = value
w = WCS(header)
xy = w.all_world2pix([[p[0], p[1]] for p in data['sky']], 0, tolerance=1e-10)
print(json.dumps(xy.tolist()))
`
      const pixels = await pythonJson<[number, number][]>(script, {
        header,
        sky: frame.truth.map((t) => [t.ra, t.dec]),
      })
      frame.truth.forEach((t, i) => {
        expect(Math.abs(pixels[i]![0] - t.x)).toBeLessThan(1e-4)
        expect(Math.abs(pixels[i]![1] - t.y)).toBeLessThan(1e-4)
      })
    },
  )
})
