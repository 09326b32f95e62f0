import { describe, expect, it } from 'vitest'
import type { HeaderCard } from '../../src/analysis/fits/header-card.js'
import { observationMetadata } from '../../src/analysis/observation-metadata.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame } from '../../src/analysis/sky/mock-sky.js'
import { mockPixelToSky } from '../../src/analysis/sky/mock-sky-wcs.js'
import { hasPythonModule, pythonJson } from '../support/python-oracle.js'

const MAS = 1 / 3.6e6

describe('observationMetadata', () => {
  it('reads time, exposure, filter, field, centre, scale and footprint from a mock-sky frame', () => {
    const options = { ...DEFAULT_MOCK_SKY, width: 300, height: 200, stars: 5, frames: 3 }
    const frame = renderMockSkyFrame(options, 0, 2)
    const m = observationMetadata(frame.cards, 300, 200)
    expect(m.obsMjd).toBeCloseTo(frame.mjd, 10)
    expect(m.obsTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(m.exposureS).toBe(30)
    expect(m.filter).toBe('r')
    expect(m.field).toBe('field-a')
    const [ra, dec] = mockPixelToSky(frame.wcs, 149.5, 99.5)
    expect(Math.abs(m.centerRa! - ra)).toBeLessThan(MAS)
    expect(Math.abs(m.centerDec! - dec)).toBeLessThan(MAS)
    expect(m.pixelScaleArcsec).toBeCloseTo(1, 6)
    const [cornerRa, cornerDec] = mockPixelToSky(frame.wcs, 299, 199)
    expect(Math.abs(m.footprint![2]![0] - cornerRa)).toBeLessThan(MAS)
    expect(Math.abs(m.footprint![2]![1] - cornerDec)).toBeLessThan(MAS)
    expect(m.notes).toEqual([])
  })

  it('takes DATE-OBS with TIME-OBS when there is no MJD, and says why sky columns are missing', () => {
    const cards: HeaderCard[] = [
      { keyword: 'DATE-OBS', value: '1999-12-31' },
      { keyword: 'TIME-OBS', value: '23:59:30.5' },
      { keyword: 'CTYPE1', value: 'GLON-TAN' },
      { keyword: 'CTYPE2', value: 'GLAT-TAN' },
      { keyword: 'CRPIX1', value: 1 },
      { keyword: 'CRPIX2', value: 1 },
      { keyword: 'CRVAL1', value: 10 },
      { keyword: 'CRVAL2', value: 5 },
      { keyword: 'CDELT1', value: -0.001 },
      { keyword: 'CDELT2', value: 0.001 },
    ]
    const m = observationMetadata(cards, 10, 10)
    expect(m.obsTime).toBe('1999-12-31T23:59:30.500Z')
    expect(m.obsMjd).toBeCloseTo(51543 + (23 * 3600 + 59 * 60 + 30.5) / 86400, 9)
    expect(m.centerRa).toBeNull()
    expect(m.notes.join(' ')).toMatch(/GALACTIC/)
    expect(observationMetadata([{ keyword: 'DATE-OBS', value: 'yesterday' }], 1, 1).notes[0]).toMatch(/not an ISO 8601/)
  })

  it.runIf(hasPythonModule('astropy', 'python3-astropy'))(
    'puts the centre of astropy’s SIP test images where astropy does, to 1 mas',
    async () => {
      const script = `
import json, sys, warnings
from astropy.io import fits
from astropy.wcs import WCS
warnings.simplefilter('ignore')
out = []
for name in ['sip.fits', 'sip2.fits', 'ie6d07ujq_wcs.fits']:
    header = fits.getheader('/usr/lib/python3/dist-packages/astropy/wcs/tests/data/' + name, 0)
    cards = [[c.keyword, c.value] for c in header.cards if c.keyword and not isinstance(c.value, fits.card.Undefined)]
    w, h = 1000, 800
    ra, dec = WCS(header).all_pix2world([[(w - 1) / 2, (h - 1) / 2]], 0)[0]
    out.append({'name': name, 'cards': cards, 'ra': float(ra), 'dec': float(dec), 'w': w, 'h': h})
print(json.dumps(out))
`
      const files = await pythonJson<{ name: string; cards: [string, unknown][]; ra: number; dec: number; w: number; h: number }[]>(script)
      expect(files).toHaveLength(3)
      for (const file of files) {
        const cards = file.cards
          .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
          .map(([keyword, value]) => ({ keyword, value: value as string | number | boolean }))
        const m = observationMetadata(cards, file.w, file.h)
        expect(Math.abs(m.centerRa! - file.ra), file.name).toBeLessThan(MAS)
        expect(Math.abs(m.centerDec! - file.dec), file.name).toBeLessThan(MAS)
      }
    },
  )
})
