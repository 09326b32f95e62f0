/** The sky footprint of an image and a TAN-SIP WCS built from numbers, against astropy. */
import { beforeAll, describe, expect, it } from 'vitest'
import { headerLookup } from '../../../src/analysis/fits/header-card.js'
import { imageFootprint } from '../../../src/analysis/wcs/footprint.js'
import { readSip } from '../../../src/analysis/wcs/sip.js'
import { wcsCards } from '../../../src/analysis/wcs/wcs-cards.js'
import { readWcs, tanWcs } from '../../../src/analysis/wcs/wcs.js'
import { hasPythonModule, pythonJson } from '../../support/python-oracle.js'
import { ASTROPY_WCS_DATA, astropyWcs, pixelGrid, separation, type WcsAnswer } from './astropy-wcs.js'

const MAS = 1 / 3.6e6
const FILES = ['irac_sip.hdr', 'siponly.hdr', 'maps/1904-66_TAN.hdr']

const FOOTPRINT = String.raw`
import json, sys, warnings
from astropy.io import fits
from astropy.wcs import WCS
warnings.simplefilter('ignore')
out = []
for path in json.load(sys.stdin):
    data = open(path, 'rb').read()
    h = fits.Header.fromstring(data.decode('latin-1'), sep='\n' if b'\n' in data else '')
    w = WCS(h)
    out.append({'footprint': w.celestial.calc_footprint(axes=(h['NAXIS1'], h['NAXIS2'])).tolist(),
                'center': [float(v) for v in w.celestial.all_pix2world([[(h['NAXIS1'] - 1) / 2, (h['NAXIS2'] - 1) / 2]], 0)[0]],
                'scale': float(abs(w.celestial.pixel_scale_matrix[0, 0] * w.celestial.pixel_scale_matrix[1, 1] - w.celestial.pixel_scale_matrix[0, 1] * w.celestial.pixel_scale_matrix[1, 0]) ** 0.5)})
print(json.dumps(out))
`

describe.skipIf(!hasPythonModule('astropy', 'python3-astropy'))('footprints and built TAN-SIP WCSs against astropy', () => {
  let footprints: { footprint: [number, number][]; center: [number, number]; scale: number }[] = []
  let cards: WcsAnswer[] = []
  beforeAll(async () => {
    footprints = await pythonJson(
      FOOTPRINT,
      FILES.map((name) => `${ASTROPY_WCS_DATA}/${name}`),
    )
    cards = await astropyWcs(FILES.map((name) => ({ path: `${ASTROPY_WCS_DATA}/${name}`, pixels: [] })))
  }, 60_000)

  for (const [i, name] of FILES.entries()) {
    it(`${name}: centre and corners within 1 mas of astropy calc_footprint, pixel scale to 1e-9`, () => {
      const [width, height] = cards[i]!.naxis
      const footprint = imageFootprint(readWcs(headerLookup(cards[i]!.cards)), width, height)
      const expected = footprints[i]!
      expect(separation(footprint.center.ra, footprint.center.dec, ...expected.center) / MAS).toBeLessThanOrEqual(1)
      footprint.corners.forEach((corner, k) => {
        expect(separation(corner.ra, corner.dec, ...expected.footprint[k]!) / MAS, `corner ${k}`).toBeLessThanOrEqual(1)
      })
      expect(Math.abs(footprint.pixelScaleArcsec / 3600 - expected.scale) / expected.scale).toBeLessThanOrEqual(1e-9)
    })
  }

  it('tanWcs with a SIP distortion writes cards astropy reads to the same sky within 1 mas', async () => {
    const sip = readSip(headerLookup(cards[0]!.cards.filter((card) => /^(A|B|AP|BP)_/.test(card.keyword))))!
    const wcs = tanWcs({ crpix: [128.5, 128.5], crval: [271.25, -29.5], cd: [-1.6e-4, 3e-5, 3e-5, 1.6e-4], sip, system: 'FK5' })
    const written = wcsCards(wcs)
    expect(written.find((card) => card.keyword === 'CTYPE1')?.value).toBe('RA---TAN-SIP')
    expect(written.find((card) => card.keyword === 'EQUINOX')?.value).toBe(2000)
    const grid = pixelGrid(256, 256)
    const [answer] = await astropyWcs([{ cards: written, pixels: grid }])
    for (const [k, [x, y]] of grid.entries()) {
      const ours = wcs.pixelToSky(x, y)
      const [ra, dec] = answer!.world[k]!
      expect(separation(ra!, dec!, ours.ra, ours.dec) / MAS).toBeLessThanOrEqual(1)
    }
  }, 60_000)
})

describe('imageFootprint', () => {
  it('refuses an image part of which is off its projection', () => {
    // An orthographic (SIN) projection shows one hemisphere: 10 px of 20° go beyond its edge.
    const cards = { CTYPE1: 'RA---SIN', CTYPE2: 'DEC--SIN', CRPIX1: 1, CRPIX2: 1, CDELT1: -20, CDELT2: 20 }
    const wcs = readWcs(headerLookup(Object.entries(cards).map(([keyword, value]) => ({ keyword, value }))))
    expect(() => imageFootprint(wcs, 10, 10)).toThrow(/outside its projection/)
    expect(() => imageFootprint(wcs, 0, 10)).toThrow(RangeError)
  })
})
