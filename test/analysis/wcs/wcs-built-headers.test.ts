/**
 * Headers built here for the cases astropy's files leave out (a TAN-SIP frame across RA 0h with no inverse
 * polynomial, a field at the pole with CROTA2, slant SIN, latitude-first axes, galactic arcsec units, oblique
 * cylindricals), and the cards wcsCards writes: astropy must read them to the same sky.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { headerLookup, type HeaderCard } from '../../../src/analysis/fits/header-card.js'
import { wcsCards } from '../../../src/analysis/wcs/wcs-cards.js'
import { readWcs } from '../../../src/analysis/wcs/wcs.js'
import { hasPythonModule } from '../../support/python-oracle.js'
import { astropyWcs, pixelGrid, separation, type WcsAnswer } from './astropy-wcs.js'

const MAS = 1 / 3.6e6

function cards(values: Record<string, string | number>): HeaderCard[] {
  return Object.entries(values).map(([keyword, value]) => ({ keyword, value }))
}

const SIZE: Record<string, [number, number]> = {}
const BUILT: Record<string, HeaderCard[]> = {
  // 1"/px, rotated 30°, across RA 0h, a cubic SIP distortion of a few pixels at the corners and no AP/BP.
  'TAN-SIP across RA 0h without AP/BP': cards({
    NAXIS: 2,
    NAXIS1: 2048,
    NAXIS2: 4096,
    CTYPE1: 'RA---TAN-SIP',
    CTYPE2: 'DEC--TAN-SIP',
    CRPIX1: 1024.5,
    CRPIX2: 2048.5,
    CRVAL1: 359.9,
    CRVAL2: 30.5,
    CD1_1: -Math.cos(Math.PI / 6) / 3600,
    CD1_2: Math.sin(Math.PI / 6) / 3600,
    CD2_1: Math.sin(Math.PI / 6) / 3600,
    CD2_2: Math.cos(Math.PI / 6) / 3600,
    RADESYS: 'ICRS',
    A_ORDER: 3,
    B_ORDER: 3,
    A_2_0: 2e-7,
    A_1_1: -3e-7,
    A_0_2: 1e-7,
    A_3_0: 4e-11,
    A_1_2: -2e-11,
    B_2_0: -1e-7,
    B_1_1: 2e-7,
    B_0_2: 3e-7,
    B_0_3: 3e-11,
    B_2_1: 1e-11,
  }),
  'TAN at the pole with CROTA2': cards({
    NAXIS1: 1000,
    NAXIS2: 1000,
    CTYPE1: 'RA---TAN',
    CTYPE2: 'DEC--TAN',
    CRPIX1: 400,
    CRPIX2: 600,
    CRVAL1: 45,
    CRVAL2: 89.95,
    CDELT1: -0.0002,
    CDELT2: 0.0002,
    CROTA2: 25,
    EQUINOX: 1950,
  }),
  'slant SIN (PV2_1, PV2_2)': cards({
    NAXIS1: 512,
    NAXIS2: 512,
    CTYPE1: 'RA---SIN',
    CTYPE2: 'DEC--SIN',
    CRPIX1: 256,
    CRPIX2: 257,
    CRVAL1: 150,
    CRVAL2: 2.2,
    CDELT1: -0.01,
    CDELT2: 0.01,
    PV2_1: 0.1,
    PV2_2: -0.05,
  }),
  'NCP (old AIPS form of SIN) at declination 30': cards({
    NAXIS1: 256,
    NAXIS2: 256,
    CTYPE1: 'RA---NCP',
    CTYPE2: 'DEC--NCP',
    CRPIX1: 128,
    CRPIX2: 128,
    CRVAL1: 83.6,
    CRVAL2: 30,
    CDELT1: -0.02,
    CDELT2: 0.02,
  }),
  'latitude axis first (DEC--TAN, RA---TAN) with PC': cards({
    NAXIS1: 300,
    NAXIS2: 200,
    CTYPE1: 'DEC--TAN',
    CTYPE2: 'RA---TAN',
    CRPIX1: 150,
    CRPIX2: 100,
    CRVAL1: -45,
    CRVAL2: 80,
    CDELT1: 0.001,
    CDELT2: -0.001,
    PC1_1: 0.9,
    PC1_2: 0.1,
    PC2_1: -0.2,
    PC2_2: 1.1,
  }),
  'galactic ZEA in arcsec': cards({
    NAXIS1: 400,
    NAXIS2: 400,
    CTYPE1: 'GLON-ZEA',
    CTYPE2: 'GLAT-ZEA',
    CUNIT1: 'arcsec',
    CUNIT2: 'arcsec',
    CRPIX1: 200.5,
    CRPIX2: 200.5,
    CRVAL1: 0,
    CRVAL2: 0,
    CDELT1: -36,
    CDELT2: 36,
  }),
  'oblique CAR (CRVAL2 = 40)': cards({
    NAXIS1: 360,
    NAXIS2: 180,
    CTYPE1: 'RA---CAR',
    CTYPE2: 'DEC--CAR',
    CRPIX1: 180.5,
    CRPIX2: 90.5,
    CRVAL1: 120,
    CRVAL2: 40,
    CDELT1: -0.1,
    CDELT2: 0.1,
  }),
  'oblique MER with LATPOLE': cards({
    NAXIS1: 200,
    NAXIS2: 200,
    CTYPE1: 'RA---MER',
    CTYPE2: 'DEC--MER',
    CRPIX1: 100,
    CRPIX2: 100,
    CRVAL1: 10,
    CRVAL2: -20,
    CDELT1: -0.2,
    CDELT2: 0.2,
    LONPOLE: 170,
    LATPOLE: -60,
  }),
}
for (const [name, header] of Object.entries(BUILT)) {
  const get = headerLookup(header)
  SIZE[name] = [Number(get.get('NAXIS1')), Number(get.get('NAXIS2'))]
}

function compare(name: string, header: HeaderCard[], answer: WcsAnswer, points: [number, number][]): void {
  const wcs = readWcs(headerLookup(header))
  let worstSky = 0
  let worstPixel = 0
  for (const [k, [x, y]] of points.entries()) {
    const [ra, dec] = answer.world[k]!
    expect(ra, `${name}: astropy has no sky position for (${x}, ${y})`).not.toBeNull()
    const ours = wcs.pixelToSky(x, y)
    worstSky = Math.max(worstSky, separation(ra!, dec!, ours.ra, ours.dec))
    const back = wcs.skyToPixel(ours.ra, ours.dec)
    worstPixel = Math.max(worstPixel, Math.hypot(back.x - x, back.y - y))
  }
  expect(worstSky / MAS, `${name}: worst difference from astropy, mas`).toBeLessThanOrEqual(1)
  expect(worstPixel, `${name}: worst round trip, px`).toBeLessThanOrEqual(1e-6)
}

describe.skipIf(!hasPythonModule('astropy', 'python3-astropy'))('WCS of built headers against astropy', () => {
  const names = Object.keys(BUILT)
  const grids = names.map((name) => pixelGrid(...SIZE[name]!, 13))
  let answers: WcsAnswer[] = []
  let written: HeaderCard[][] = []
  let writtenAnswers: WcsAnswer[] = []

  beforeAll(async () => {
    written = names.map((name) => wcsCards(readWcs(headerLookup(BUILT[name]!))))
    ;[answers, writtenAnswers] = await Promise.all([
      astropyWcs(names.map((name, i) => ({ cards: BUILT[name]!, pixels: grids[i]! }))),
      astropyWcs(written.map((header, i) => ({ cards: header, pixels: grids[i]! }))),
    ])
  }, 60_000)

  for (const [i, name] of names.entries()) {
    it(`${name}: pixel → sky within 1 mas of astropy and back within 1e-6 px`, () => {
      compare(name, BUILT[name]!, answers[i]!, grids[i]!)
    })

    it(`${name}: the cards wcsCards writes give astropy the same sky`, () => {
      compare(name, written[i]!, writtenAnswers[i]!, grids[i]!)
      const original = readWcs(headerLookup(BUILT[name]!))
      for (const [k, [x, y]] of grids[i]!.entries()) {
        const [ra, dec] = writtenAnswers[i]!.world[k]!
        const ours = original.pixelToSky(x, y)
        expect(separation(ra!, dec!, ours.ra, ours.dec) / MAS).toBeLessThanOrEqual(1)
      }
    })
  }

  it('the SIP inverse without AP/BP matches astropy all_world2pix (tolerance 1e-12) to 1e-6 px', () => {
    const name = 'TAN-SIP across RA 0h without AP/BP'
    const wcs = readWcs(headerLookup(BUILT[name]!))
    const answer = answers[names.indexOf(name)]!
    for (const [k, [x, y]] of grids[names.indexOf(name)]!.entries()) {
      const [ra, dec] = answer.world[k]!
      const [ax, ay] = answer.pixels[k]!
      const ours = wcs.skyToPixel(ra!, dec!)
      expect(Math.hypot(ours.x - ax!, ours.y - ay!)).toBeLessThanOrEqual(1e-6)
      expect(Math.hypot(ours.x - x, ours.y - y)).toBeLessThanOrEqual(1e-6)
    }
    // The distortion is real: without it the corners move by pixels.
    const corner = wcs.pixelToSky(0, 0)
    const [ra0, dec0] = answer.world[0]!
    expect(separation(ra0!, dec0!, corner.ra, corner.dec) * 3600).toBeLessThan(0.001)
    const { sip: _sip, ...linear } = wcs.parameters
    void _sip
    const undistorted = readWcs(headerLookup(wcsCards({ ...linear, ctype: ['RA---TAN', 'DEC--TAN'] })))
    const plain = undistorted.pixelToSky(0, 0)
    expect(separation(ra0!, dec0!, plain.ra, plain.dec) * 3600).toBeGreaterThan(1)
  })
})
