/**
 * The header cards that describe a WCS (Greisen & Calabretta 2002, Paper I; Shupe et al. 2005 for SIP), so that
 * code writing FITS images can give them the coordinates of the image they came from or of a mock sky.
 * Values are plain numbers: the FITS writer formats them with full double precision.
 */
import type { HeaderCard } from '../fits/header-card.js'
import { sipCards } from './sip.js'
import type { Wcs, WcsParameters } from './wcs.js'

/** WCSAXES, CTYPE, CUNIT, CRPIX, CRVAL, CD, LONPOLE/LATPOLE, PV, RADESYS/EQUINOX and the SIP polynomials. */
export function wcsCards(wcs: Wcs | WcsParameters): HeaderCard[] {
  const p = 'parameters' in wcs ? wcs.parameters : wcs
  const sip = p.sip !== undefined
  const ctype = p.ctype.map((value) => withSipSuffix(value, sip))
  const latAxis = p.lngAxis === 0 ? 2 : 1
  const cards: HeaderCard[] = [
    { keyword: 'WCSAXES', value: 2, comment: 'number of World Coordinate System axes' },
    { keyword: 'CTYPE1', value: ctype[0]!, comment: 'projection and coordinate of axis 1' },
    { keyword: 'CTYPE2', value: ctype[1]!, comment: 'projection and coordinate of axis 2' },
    { keyword: 'CUNIT1', value: 'deg', comment: 'unit of CRVAL1 and CD1_j' },
    { keyword: 'CUNIT2', value: 'deg', comment: 'unit of CRVAL2 and CD2_j' },
    { keyword: 'CRPIX1', value: p.crpix[0], comment: 'reference pixel, axis 1 (1-based)' },
    { keyword: 'CRPIX2', value: p.crpix[1], comment: 'reference pixel, axis 2 (1-based)' },
    { keyword: 'CRVAL1', value: p.crval[0], comment: '[deg] coordinate at the reference pixel' },
    { keyword: 'CRVAL2', value: p.crval[1], comment: '[deg] coordinate at the reference pixel' },
    { keyword: 'CD1_1', value: p.cd[0], comment: '[deg/pixel] linear transformation matrix' },
    { keyword: 'CD1_2', value: p.cd[1] },
    { keyword: 'CD2_1', value: p.cd[2] },
    { keyword: 'CD2_2', value: p.cd[3] },
  ]
  if (p.lonpole !== undefined) cards.push({ keyword: 'LONPOLE', value: p.lonpole, comment: '[deg] native longitude of the celestial pole' })
  if (p.latpole !== undefined) cards.push({ keyword: 'LATPOLE', value: p.latpole, comment: '[deg] native latitude of the celestial pole' })
  for (const [m, value] of Object.entries(p.pv ?? {})) cards.push({ keyword: `PV${latAxis}_${m}`, value, comment: 'projection parameter' })
  if (p.ctype[p.lngAxis].startsWith('RA')) {
    cards.push({ keyword: 'RADESYS', value: p.system, comment: 'celestial reference system' })
    if (p.equinox !== undefined) cards.push({ keyword: 'EQUINOX', value: p.equinox, comment: '[yr] equinox of the reference system' })
  }
  if (p.sip !== undefined) cards.push(...sipCards(p.sip))
  return cards
}

/** "RA---TAN" ↔ "RA---TAN-SIP" as the distortion is present or not. */
function withSipSuffix(ctype: string, sip: boolean): string {
  const base = ctype.trim().replace(/-SIP$/, '')
  return sip ? `${base}-SIP` : base
}
