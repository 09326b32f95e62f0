/**
 * Simple Imaging Polynomial distortion (Shupe et al. 2005, "The SIP Convention for Representing Distortion in
 * FITS Image Headers"): with (u, v) the pixel offsets from CRPIX, the corrected offsets are
 *   u' = u + Σ A_p_q u^p v^q,  v' = v + Σ B_p_q u^p v^q  (2 ≤ p + q ≤ A_ORDER / B_ORDER),
 * which the CD (or PC·CDELT) matrix then turns into intermediate world coordinates. The inverse polynomials
 * AP_p_q / BP_p_q are only an approximation (they fit the inverse to a few hundredths of a pixel), so they start
 * Newton's method on the forward polynomials, which converges to 1e-10 px as astropy's all_world2pix does.
 */
import type { CardValue, HeaderCard, HeaderLookup } from '../fits/header-card.js'
import { WcsInvalidError } from '../../core/errors.js'

/** A polynomial of the given order; `coefficients[p * (order + 1) + q]` multiplies u^p v^q. */
export interface SipPolynomial {
  readonly order: number
  readonly coefficients: Float64Array
}

export interface SipDistortion {
  readonly a: SipPolynomial
  readonly b: SipPolynomial
  /** The header's inverse polynomials, when it has them (a starting point for the inverse only). */
  readonly ap?: SipPolynomial
  readonly bp?: SipPolynomial
}

/** The largest order read: the convention sets none, real headers stay below 10, and it bounds the work. */
const MAX_ORDER = 20
/** The inverse stops when a Newton step moves less than this many pixels. */
const NEWTON_TOLERANCE = 1e-12
const NEWTON_ITERATIONS = 50
/** A solution whose forward image misses the target by more than this is reported as no solution (NaN). */
const CONVERGED = 1e-8

/** The SIP polynomials of a header, or undefined when it has no A_ORDER. */
export function readSip(header: HeaderLookup): SipDistortion | undefined {
  if (header.get('A_ORDER') === undefined) return undefined
  const a = readPolynomial(header, 'A')
  const b = readPolynomial(header, 'B')
  if (a === undefined || b === undefined) throw new WcsInvalidError('a SIP header needs both A_ORDER and B_ORDER')
  const ap = readPolynomial(header, 'AP')
  const bp = readPolynomial(header, 'BP')
  return ap !== undefined && bp !== undefined ? { a, b, ap, bp } : { a, b }
}

function readPolynomial(header: HeaderLookup, prefix: string): SipPolynomial | undefined {
  const order = header.get(`${prefix}_ORDER`)
  if (order === undefined) return undefined
  const n = typeof order === 'bigint' ? Number(order) : order
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_ORDER) {
    throw new WcsInvalidError(`${prefix}_ORDER must be an integer from 0 to ${MAX_ORDER}, not ${String(order)}`)
  }
  const coefficients = new Float64Array((n + 1) * (n + 1))
  for (let p = 0; p <= n; p++) {
    for (let q = 0; p + q <= n; q++) {
      const value = header.get(`${prefix}_${p}_${q}`)
      if (value !== undefined) coefficients[p * (n + 1) + q] = numeric(value, `${prefix}_${p}_${q}`)
    }
  }
  return { order: n, coefficients }
}

function numeric(value: CardValue, keyword: string): number {
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return Number(value)
  throw new WcsInvalidError(`${keyword} must be a number, not ${JSON.stringify(String(value))}`)
}

/** Σ c_pq u^p v^q by Horner's scheme in both variables. */
export function evaluate(poly: SipPolynomial, u: number, v: number): number {
  const n = poly.order
  const c = poly.coefficients
  let sum = 0
  for (let p = n; p >= 0; p--) {
    let inner = 0
    for (let q = n - p; q >= 0; q--) inner = inner * v + c[p * (n + 1) + q]!
    sum = sum * u + inner
  }
  return sum
}

/** Powers u^0..u^n and v^0..v^n, shared by the value and both derivatives (module scratch: one evaluation at a time). */
const powersU = new Float64Array(MAX_ORDER + 1)
const powersV = new Float64Array(MAX_ORDER + 1)

/** The polynomial's value and its ∂/∂u, ∂/∂v at (u, v), written into out; powersU/powersV must hold u and v's powers. */
function valueAndGradient(poly: SipPolynomial, out: [number, number, number]): void {
  const n = poly.order
  const c = poly.coefficients
  let value = 0
  let du = 0
  let dv = 0
  for (let p = 0; p <= n; p++) {
    for (let q = 0; p + q <= n; q++) {
      const coefficient = c[p * (n + 1) + q]!
      if (coefficient === 0) continue
      value += coefficient * powersU[p]! * powersV[q]!
      if (p > 0) du += coefficient * p * powersU[p - 1]! * powersV[q]!
      if (q > 0) dv += coefficient * q * powersU[p]! * powersV[q - 1]!
    }
  }
  out[0] = value
  out[1] = du
  out[2] = dv
}

function fillPowers(u: number, v: number, n: number): void {
  powersU[0] = 1
  powersV[0] = 1
  for (let k = 1; k <= n; k++) {
    powersU[k] = powersU[k - 1]! * u
    powersV[k] = powersV[k - 1]! * v
  }
}

/** Distorted offsets (u + f, v + g) from pixel offsets (u, v) relative to CRPIX. */
export function sipForward(sip: SipDistortion, u: number, v: number, out: [number, number]): void {
  out[0] = u + evaluate(sip.a, u, v)
  out[1] = v + evaluate(sip.b, u, v)
}

/** The header's approximate inverse (AP/BP), or the identity when it has none. */
export function sipApproximateInverse(sip: SipDistortion, uPrime: number, vPrime: number, out: [number, number]): void {
  if (sip.ap === undefined || sip.bp === undefined) {
    out[0] = uPrime
    out[1] = vPrime
    return
  }
  out[0] = uPrime + evaluate(sip.ap, uPrime, vPrime)
  out[1] = vPrime + evaluate(sip.bp, uPrime, vPrime)
}

/** Pixel offsets (u, v) whose forward distortion is (u', v'): Newton's method from the approximate inverse. */
export function sipInverse(sip: SipDistortion, uPrime: number, vPrime: number, out: [number, number]): void {
  sipApproximateInverse(sip, uPrime, vPrime, out)
  let [u, v] = out
  const order = Math.max(sip.a.order, sip.b.order)
  const fa: [number, number, number] = [0, 0, 0]
  const fb: [number, number, number] = [0, 0, 0]
  for (let i = 0; i < NEWTON_ITERATIONS; i++) {
    fillPowers(u, v, order)
    valueAndGradient(sip.a, fa)
    valueAndGradient(sip.b, fb)
    const ru = u + fa[0] - uPrime
    const rv = v + fb[0] - vPrime
    const j11 = 1 + fa[1]
    const j12 = fa[2]
    const j21 = fb[1]
    const j22 = 1 + fb[2]
    const det = j11 * j22 - j12 * j21
    if (det === 0 || !Number.isFinite(det)) break
    const du = (j22 * ru - j12 * rv) / det
    const dv = (j11 * rv - j21 * ru) / det
    u -= du
    v -= dv
    if (Math.abs(du) < NEWTON_TOLERANCE && Math.abs(dv) < NEWTON_TOLERANCE) break
  }
  const missU = u + evaluate(sip.a, u, v) - uPrime
  const missV = v + evaluate(sip.b, u, v) - vPrime
  if (!(Math.abs(missU) < CONVERGED && Math.abs(missV) < CONVERGED)) {
    out[0] = NaN
    out[1] = NaN
    return
  }
  out[0] = u
  out[1] = v
}

/** The SIP keywords of a distortion, zero coefficients left out (they are the default). */
export function sipCards(sip: SipDistortion): HeaderCard[] {
  const cards: HeaderCard[] = []
  const polynomials: [string, SipPolynomial | undefined][] = [
    ['A', sip.a],
    ['B', sip.b],
    ['AP', sip.ap],
    ['BP', sip.bp],
  ]
  for (const [prefix, poly] of polynomials) {
    if (poly === undefined) continue
    const n = poly.order
    cards.push({ keyword: `${prefix}_ORDER`, value: n, comment: 'SIP polynomial order (Shupe et al. 2005)' })
    for (let p = 0; p <= n; p++) {
      for (let q = 0; p + q <= n; q++) {
        const value = poly.coefficients[p * (n + 1) + q]!
        if (value !== 0) cards.push({ keyword: `${prefix}_${p}_${q}`, value })
      }
    }
  }
  return cards
}
