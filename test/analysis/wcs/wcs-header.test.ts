/** What readWcs reads from a header, and how it refuses headers it cannot use. */
import { describe, expect, it } from 'vitest'
import { headerLookup, type HeaderCard } from '../../../src/analysis/fits/header-card.js'
import { isImgpipeError } from '../../../src/core/errors.js'
import { readWcs } from '../../../src/analysis/wcs/wcs.js'
import { wcsCards } from '../../../src/analysis/wcs/wcs-cards.js'

function header(values: Record<string, string | number>): ReturnType<typeof headerLookup> {
  return headerLookup(Object.entries(values).map(([keyword, value]): HeaderCard => ({ keyword, value })))
}

const TAN = { CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: 50, CRPIX2: 60, CRVAL1: 10, CRVAL2: 20, CDELT1: -0.001, CDELT2: 0.001 }

function wcsError(values: Record<string, string | number>): string {
  try {
    readWcs(header(values))
  } catch (error) {
    expect(isImgpipeError(error, 'IMGPIPE_WCS_INVALID'), String(error)).toBe(true)
    return (error as Error).message
  }
  throw new Error('readWcs accepted the header')
}

describe('readWcs', () => {
  it('puts CRVAL at CRPIX (1-based in the header, 0-based in the API)', () => {
    const wcs = readWcs(header(TAN))
    const sky = wcs.pixelToSky(49, 59)
    expect(sky.ra).toBeCloseTo(10, 12)
    expect(sky.dec).toBeCloseTo(20, 12)
    const pixel = wcs.skyToPixel(10, 20)
    expect(pixel.x).toBeCloseTo(49, 9)
    expect(pixel.y).toBeCloseTo(59, 9)
    // East is left for CDELT1 < 0: one pixel right is a smaller RA.
    expect(wcs.pixelToSky(50, 59).ra).toBeLessThan(10)
    expect(wcs.pixelScale).toBeCloseTo(0.001, 15)
  })

  it('reports the reference system: RADESYS and EQUINOX as written, the standard defaults otherwise', () => {
    expect(readWcs(header(TAN)).parameters).toMatchObject({ system: 'ICRS', systemFromHeader: false })
    expect(readWcs(header(TAN)).parameters.equinox).toBeUndefined()
    expect(readWcs(header({ ...TAN, RADESYS: 'FK5' })).parameters).toMatchObject({ system: 'FK5', equinox: 2000, systemFromHeader: true })
    expect(readWcs(header({ ...TAN, EQUINOX: 2000 })).parameters).toMatchObject({ system: 'FK5', equinox: 2000 })
    expect(readWcs(header({ ...TAN, EQUINOX: 1950 })).parameters).toMatchObject({ system: 'FK4', equinox: 1950 })
    expect(readWcs(header({ ...TAN, RADECSYS: 'FK4', EPOCH: 1950 })).parameters).toMatchObject({ system: 'FK4', equinox: 1950 })
    expect(readWcs(header({ ...TAN, RADESYS: 'ICRS', EQUINOX: 2000 })).parameters).toMatchObject({ system: 'ICRS', systemFromHeader: true })
    expect(readWcs(header({ ...TAN, CTYPE1: 'GLON-TAN', CTYPE2: 'GLAT-TAN' })).parameters.system).toBe('GALACTIC')
  })

  it('says which keywords gave the matrix: PC over CD over CROTA2', () => {
    expect(readWcs(header(TAN)).parameters.matrixFrom).toBe('CDELT')
    expect(readWcs(header({ ...TAN, CROTA2: 10 })).parameters.matrixFrom).toBe('CROTA')
    expect(readWcs(header({ ...TAN, CD1_1: -0.002, CD2_2: 0.002 })).parameters).toMatchObject({
      matrixFrom: 'CD',
      cd: [-0.002, 0, 0, 0.002],
    })
    const pc = readWcs(header({ ...TAN, CD1_1: -0.002, CD2_2: 0.002, PC1_1: 2 })).parameters
    expect(pc.matrixFrom).toBe('PC')
    expect(pc.cd.map((value) => value + 0)).toEqual([-0.002, 0, 0, 0.001])
  })

  it('refuses a projection it does not implement, naming it', () => {
    expect(wcsError({ ...TAN, CTYPE1: 'RA---TPV', CTYPE2: 'DEC--TPV' })).toContain('"TPV"')
    expect(wcsError({ ...TAN, CTYPE1: 'RA---BON', CTYPE2: 'DEC--BON' })).toContain('"BON"')
  })

  it('refuses a singular matrix', () => {
    expect(wcsError({ ...TAN, CD1_1: 0.001, CD1_2: 0.002, CD2_1: 0.001, CD2_2: 0.002 })).toContain('singular')
    expect(wcsError({ ...TAN, CDELT2: 0 })).toContain('singular')
  })

  it('refuses headers without a celestial pair or without a scale', () => {
    const { CTYPE1: _c, ...noCtype } = TAN
    void _c
    expect(wcsError(noCtype)).toContain('CTYPE1')
    expect(wcsError({ ...TAN, CTYPE1: 'FREQ', CTYPE2: 'DEC--TAN' })).toContain('FREQ')
    expect(wcsError({ ...TAN, CTYPE1: 'RA---TAN', CTYPE2: 'DEC--SIN' })).toContain('different projections')
    const { CDELT1: _d1, CDELT2: _d2, ...noScale } = TAN
    void _d1
    void _d2
    expect(wcsError(noScale)).toContain('CDELT')
    expect(wcsError({ ...TAN, CRVAL1: 'ten' })).toContain('CRVAL1')
    expect(wcsError({ ...TAN, CUNIT1: 'Hz' })).toContain('CUNIT1')
  })

  it('reads SIP only with both A_ORDER and B_ORDER', () => {
    expect(wcsError({ ...TAN, CTYPE1: 'RA---TAN-SIP', CTYPE2: 'DEC--TAN-SIP', A_ORDER: 2, A_2_0: 1e-6 })).toContain('B_ORDER')
    const wcs = readWcs(header({ ...TAN, CTYPE1: 'RA---TAN-SIP', CTYPE2: 'DEC--TAN-SIP', A_ORDER: 2, B_ORDER: 2, A_2_0: 1e-5 }))
    expect(wcs.parameters.sip?.a.order).toBe(2)
    // 10 px from CRPIX along x the distortion adds A_2_0·u² = 0.001 px.
    const distorted = wcs.pixelToSky(59, 59)
    const plain = readWcs(header(TAN)).pixelToSky(59.001, 59)
    expect(distorted.ra).toBeCloseTo(plain.ra, 12)
  })

  it('converts whole arrays in one call as it converts points', () => {
    const wcs = readWcs(header({ ...TAN, CROTA2: 30 }))
    const xs = Float64Array.from([0, 10.5, 99, -3])
    const ys = Float64Array.from([0, 20.25, 99, 7])
    const { ra, dec } = wcs.pixelsToSky(xs, ys)
    const { x, y } = wcs.skyToPixels(ra, dec)
    for (let i = 0; i < xs.length; i++) {
      expect(wcs.pixelToSky(xs[i]!, ys[i]!)).toEqual({ ra: ra[i], dec: dec[i] })
      expect(x[i]).toBeCloseTo(xs[i]!, 9)
      expect(y[i]).toBeCloseTo(ys[i]!, 9)
    }
  })

  it('answers NaN for a sky position the projection cannot show (the far side of a TAN)', () => {
    const wcs = readWcs(header(TAN))
    const pixel = wcs.skyToPixel(190, -20)
    expect(Number.isNaN(pixel.x) && Number.isNaN(pixel.y)).toBe(true)
  })

  it('writes cards that read back to the same parameters', () => {
    const wcs = readWcs(header({ ...TAN, CROTA2: 12, RADESYS: 'FK5', EQUINOX: 2000, LONPOLE: 180 }))
    const cards = wcsCards(wcs)
    expect(cards.map((card) => card.keyword)).toEqual(expect.arrayContaining(['CTYPE1', 'CRPIX1', 'CD1_1', 'CD2_2', 'RADESYS', 'EQUINOX']))
    for (const card of cards) expect(card.keyword.length).toBeLessThanOrEqual(8)
    const again = readWcs(headerLookup(cards)).parameters
    expect(again).toMatchObject({ crpix: [50, 60], crval: [10, 20], system: 'FK5', equinox: 2000, lonpole: 180, matrixFrom: 'CD' })
    again.cd.forEach((value, i) => expect(value).toBeCloseTo(wcs.parameters.cd[i]!, 15))
  })
})
