/**
 * imgpipe's WCS against astropy (WCSLIB) on header files neither of us wrote: the one-header-per-projection maps
 * that astropy ships, its SIP headers, and a few oddities. Pixel → sky must agree to 1 mas on a grid over the
 * image, and sky → pixel must come back to the same pixel within 1e-6 px.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { headerLookup } from '../../../src/analysis/fits/header-card.js'
import { readWcs } from '../../../src/analysis/wcs/wcs.js'
import { isImgpipeError } from '../../../src/core/errors.js'
import { hasPythonModule } from '../../support/python-oracle.js'
import { ASTROPY_WCS_DATA, astropyWcs, pixelGrid, separation, type WcsAnswer } from './astropy-wcs.js'

const MAS = 1 / 3.6e6
const ROUND_TRIP_PX = 1e-6

const SUPPORTED_MAPS = ['TAN', 'SIN', 'ARC', 'ZEA', 'STG', 'AZP', 'ZPN', 'CAR', 'CEA', 'MER', 'CYP', 'SFL', 'PAR', 'MOL', 'AIT', 'NCP']
const OTHER_FILES = [
  'sip.fits',
  'sip2.fits',
  'irac_sip.hdr',
  'siponly.hdr',
  'locale.hdr',
  'defunct_keywords.hdr',
  'unit.hdr',
  '3d_cd.hdr',
  '2wcses.hdr',
]

const cases = [
  ...SUPPORTED_MAPS.map((code) => ({ name: `maps/1904-66_${code}.hdr`, size: [192, 192] as const })),
  ...OTHER_FILES.map((name) => ({ name, size: undefined })),
]

describe.skipIf(!hasPythonModule('astropy', 'python3-astropy'))('WCS against astropy on its own test headers', () => {
  const answers = new Map<string, WcsAnswer>()

  beforeAll(async () => {
    // First pass: astropy's cards and image sizes; second: the grid over each image.
    const headers = await astropyWcs(cases.map((c) => ({ path: `${ASTROPY_WCS_DATA}/${c.name}`, pixels: [] })))
    // Headers without an image (NAXIS = 0) come from 256×256 images with CRPIX at the centre.
    const grids = headers.map(({ naxis: [w, h] }) => pixelGrid(w > 1 ? w : 256, h > 1 ? h : 256))
    const results = await astropyWcs(cases.map((c, i) => ({ path: `${ASTROPY_WCS_DATA}/${c.name}`, pixels: grids[i]! })))
    results.forEach((answer, i) => answers.set(cases[i]!.name, { ...answer, cards: headers[i]!.cards, pixels: answer.pixels }))
    for (const [i, c] of cases.entries()) grid.set(c.name, grids[i]!)
  }, 60_000)
  const grid = new Map<string, [number, number][]>()

  for (const { name } of cases) {
    it(`${name}: pixel → sky within 1 mas of astropy, sky → pixel back within 1e-6 px`, () => {
      const answer = answers.get(name)!
      const wcs = readWcs(headerLookup(answer.cards))
      const points = grid.get(name)!
      let compared = 0
      let worstSky = 0
      let worstPixel = 0
      let worstAstropyPixel = 0
      for (const [k, [x, y]] of points.entries()) {
        const [ra, dec] = answer.world[k]!
        const ours = wcs.pixelToSky(x, y)
        if (ra === null || dec === null) {
          // Off the projection for astropy: off for us too.
          expect(Number.isNaN(ours.ra), `(${x}, ${y}) is off the map for astropy, imgpipe gave ${ours.ra}, ${ours.dec}`).toBe(true)
          continue
        }
        compared++
        worstSky = Math.max(worstSky, separation(ra, dec, ours.ra, ours.dec))
        const back = wcs.skyToPixel(ours.ra, ours.dec)
        worstPixel = Math.max(worstPixel, Math.hypot(back.x - x, back.y - y))
        // Our inverse on astropy's sky position lands on the pixel astropy started from.
        const fromAstropy = wcs.skyToPixel(ra, dec)
        worstAstropyPixel = Math.max(worstAstropyPixel, Math.hypot(fromAstropy.x - x, fromAstropy.y - y) * wcs.pixelScale)
      }
      expect(compared).toBeGreaterThan(points.length / 3)
      expect(worstSky / MAS, 'worst pixel → sky difference from astropy, mas').toBeLessThanOrEqual(1)
      expect(worstPixel, 'worst round trip, px').toBeLessThanOrEqual(ROUND_TRIP_PX)
      expect(worstAstropyPixel / MAS, 'worst sky → pixel difference from astropy, mas on the sky').toBeLessThanOrEqual(1)
    })
  }

  const UNSUPPORTED = ['AIR', 'BON', 'COD', 'COE', 'COO', 'COP', 'CSC', 'HPX', 'PCO', 'QSC', 'SZP', 'TSC']
  it(`the projections not implemented (${UNSUPPORTED.join(', ')}) are refused with IMGPIPE_WCS_INVALID, naming the code`, async () => {
    const headers = await astropyWcs(UNSUPPORTED.map((code) => ({ path: `${ASTROPY_WCS_DATA}/maps/1904-66_${code}.hdr`, pixels: [] })))
    for (const [i, code] of UNSUPPORTED.entries()) {
      let caught: unknown
      try {
        readWcs(headerLookup(headers[i]!.cards))
      } catch (error) {
        caught = error
      }
      expect(isImgpipeError(caught, 'IMGPIPE_WCS_INVALID'), `${code}: ${String(caught)}`).toBe(true)
      expect((caught as Error).message).toContain(`"${code}"`)
    }
  }, 60_000)
})
