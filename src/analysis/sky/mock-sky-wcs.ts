/**
 * The mock sky's own TAN-SIP world coordinate system: the gnomonic projection (Calabretta & Greisen 2002, §5.1.3)
 * with SIP distortion (Shupe et al. 2005), and the header cards that describe it.
 *
 * Deliberately separate from the WCS module (src/analysis/wcs): the mock sky's truth table is what that module is
 * checked against, so it must not be computed by the code under test. This covers only what the mock sky makes —
 * TAN, a CD matrix, second-order SIP — and says nothing about other projections.
 */
import type { HeaderCard } from '../fits/header-card.js'

const DEG = Math.PI / 180

export interface MockSkyWcs {
  /** CRVAL1/2: the sky position (degrees, ICRS) at the reference pixel. */
  readonly crval: readonly [number, number]
  /** CRPIX1/2 as FITS writes them: 1-based, the centre of the first pixel is 1. */
  readonly crpix: readonly [number, number]
  /** CD1_1, CD1_2, CD2_1, CD2_2 in degrees per pixel. */
  readonly cd: readonly [number, number, number, number]
  /** SIP A and B coefficients of order 2: [p, q, value] with 2 ≤ p + q ≤ 2. */
  readonly sipA: readonly (readonly [number, number, number])[]
  readonly sipB: readonly (readonly [number, number, number])[]
}

/** Gnomonic standard coordinates (ξ, η) in degrees of a sky position about `crval`; null behind the tangent plane. */
function toStandard(ra: number, dec: number, crval: readonly [number, number]): [number, number] | null {
  const a = ra * DEG
  const d = dec * DEG
  const a0 = crval[0] * DEG
  const d0 = crval[1] * DEG
  const cosc = Math.sin(d0) * Math.sin(d) + Math.cos(d0) * Math.cos(d) * Math.cos(a - a0)
  if (cosc <= 0) return null
  const xi = (Math.cos(d) * Math.sin(a - a0)) / cosc
  const eta = (Math.cos(d0) * Math.sin(d) - Math.sin(d0) * Math.cos(d) * Math.cos(a - a0)) / cosc
  return [xi / DEG, eta / DEG]
}

function fromStandard(xi: number, eta: number, crval: readonly [number, number]): [number, number] {
  const x = xi * DEG
  const y = eta * DEG
  const a0 = crval[0] * DEG
  const d0 = crval[1] * DEG
  const denominator = Math.cos(d0) - y * Math.sin(d0)
  const ra = a0 + Math.atan2(x, denominator)
  const dec = Math.atan2(Math.sin(d0) + y * Math.cos(d0), Math.hypot(x, denominator))
  return [(((ra / DEG) % 360) + 360) % 360, dec / DEG]
}

function sip(terms: MockSkyWcs['sipA'], u: number, v: number): number {
  let sum = 0
  for (const [p, q, value] of terms) sum += value * u ** p * v ** q
  return sum
}

/** Sky (degrees) → 0-based pixel (x, y); null for a position behind the tangent plane. */
export function mockSkyToPixel(wcs: MockSkyWcs, ra: number, dec: number): [number, number] | null {
  const standard = toStandard(ra, dec, wcs.crval)
  if (standard === null) return null
  const [c11, c12, c21, c22] = wcs.cd
  const det = c11 * c22 - c12 * c21
  // The distorted offsets U = u + f(u, v), V = v + g(u, v) that the CD matrix maps to (ξ, η).
  const bigU = (c22 * standard[0] - c12 * standard[1]) / det
  const bigV = (-c21 * standard[0] + c11 * standard[1]) / det
  // Newton on (u, v): the distortion is a fraction of a pixel, so a few steps reach 1e-10 px.
  let u = bigU
  let v = bigV
  for (let step = 0; step < 20; step++) {
    const fu = u + sip(wcs.sipA, u, v) - bigU
    const fv = v + sip(wcs.sipB, u, v) - bigV
    if (Math.abs(fu) < 1e-11 && Math.abs(fv) < 1e-11) break
    const h = 1e-4
    const j11 = 1 + (sip(wcs.sipA, u + h, v) - sip(wcs.sipA, u - h, v)) / (2 * h)
    const j12 = (sip(wcs.sipA, u, v + h) - sip(wcs.sipA, u, v - h)) / (2 * h)
    const j21 = (sip(wcs.sipB, u + h, v) - sip(wcs.sipB, u - h, v)) / (2 * h)
    const j22 = 1 + (sip(wcs.sipB, u, v + h) - sip(wcs.sipB, u, v - h)) / (2 * h)
    const jDet = j11 * j22 - j12 * j21
    u -= (j22 * fu - j12 * fv) / jDet
    v -= (-j21 * fu + j11 * fv) / jDet
  }
  return [u + wcs.crpix[0] - 1, v + wcs.crpix[1] - 1]
}

/** 0-based pixel (x, y) → sky (degrees). */
export function mockPixelToSky(wcs: MockSkyWcs, x: number, y: number): [number, number] {
  const u = x - (wcs.crpix[0] - 1)
  const v = y - (wcs.crpix[1] - 1)
  const bigU = u + sip(wcs.sipA, u, v)
  const bigV = v + sip(wcs.sipB, u, v)
  const [c11, c12, c21, c22] = wcs.cd
  return fromStandard(c11 * bigU + c12 * bigV, c21 * bigU + c22 * bigV, wcs.crval)
}

/** The header cards of this WCS (FITS WCS Paper I keywords, SIP's A_ORDER/A_p_q/B_ORDER/B_p_q). */
export function mockSkyWcsCards(wcs: MockSkyWcs): HeaderCard[] {
  const cards: HeaderCard[] = [
    { keyword: 'WCSAXES', value: 2, comment: 'number of WCS axes' },
    { keyword: 'CTYPE1', value: 'RA---TAN-SIP', comment: 'gnomonic projection with SIP distortion' },
    { keyword: 'CTYPE2', value: 'DEC--TAN-SIP', comment: 'gnomonic projection with SIP distortion' },
    { keyword: 'CUNIT1', value: 'deg' },
    { keyword: 'CUNIT2', value: 'deg' },
    { keyword: 'CRPIX1', value: wcs.crpix[0], comment: 'reference pixel (1-based)' },
    { keyword: 'CRPIX2', value: wcs.crpix[1], comment: 'reference pixel (1-based)' },
    { keyword: 'CRVAL1', value: wcs.crval[0], comment: '[deg] RA at the reference pixel' },
    { keyword: 'CRVAL2', value: wcs.crval[1], comment: '[deg] Dec at the reference pixel' },
    { keyword: 'CD1_1', value: wcs.cd[0] },
    { keyword: 'CD1_2', value: wcs.cd[1] },
    { keyword: 'CD2_1', value: wcs.cd[2] },
    { keyword: 'CD2_2', value: wcs.cd[3] },
    { keyword: 'RADESYS', value: 'ICRS' },
    { keyword: 'A_ORDER', value: 2 },
  ]
  for (const [p, q, value] of wcs.sipA) cards.push({ keyword: `A_${p}_${q}`, value })
  cards.push({ keyword: 'B_ORDER', value: 2 })
  for (const [p, q, value] of wcs.sipB) cards.push({ keyword: `B_${p}_${q}`, value })
  return cards
}
