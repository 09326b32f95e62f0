/**
 * Cylindrical (Calabretta & Greisen 2002, Paper II §5.2) and pseudo-cylindrical/conventional (§5.3) projections:
 * the fiducial point is (φ0, θ0) = (0, 0) on the equator of the native sphere. As in WCSLIB, a plane point whose
 * native longitude falls outside [−180°, 180°] or latitude outside [−90°, 90°] is off the map.
 */
import { WcsInvalidError } from '../../core/errors.js'
import { invalid, type Projection, type ProjectionParameters } from './projection.js'

const D2R = Math.PI / 180
const R2D = 180 / Math.PI
const R0 = R2D
const TOL = 1e-12
const SQRT2 = Math.SQRT2

/** Builds a projection whose inverse results are bounds-checked on the native sphere. */
function checked(code: string, toNative: Projection['toNative'], toPlane: Projection['toPlane']): Projection {
  return {
    code,
    phi0: 0,
    theta0: 0,
    toNative(x, y, out) {
      toNative(x, y, out)
      const [phi, theta] = out
      if (!(Math.abs(phi) <= 180 + TOL && Math.abs(theta) <= 90 + TOL)) return invalid(out)
      out[0] = Math.max(-180, Math.min(180, phi))
      out[1] = Math.max(-90, Math.min(90, theta))
    },
    toPlane,
  }
}

export function cylindricalProjection(code: string, pv: ProjectionParameters): Projection | undefined {
  switch (code) {
    // Plate carrée, eq. 84: x = φ, y = θ.
    case 'CAR':
      return checked(
        code,
        (x, y, out) => {
          out[0] = x
          out[1] = y
        },
        (phi, theta, out) => {
          out[0] = phi
          out[1] = theta
        },
      )
    // Cylindrical equal area, eq. 80: y = R0 sin θ / λ, λ = PV2_1 in (0, 1].
    case 'CEA': {
      const lambda = pv(1) ?? 1
      if (!(lambda > 0 && lambda <= 1)) throw new WcsInvalidError(`CEA projection needs 0 < PV2_1 <= 1, not ${lambda}`)
      return checked(
        code,
        (x, y, out) => {
          const s = (y * lambda) / R0
          if (Math.abs(s) > 1 + TOL) return invalid(out)
          out[0] = x
          out[1] = Math.asin(Math.max(-1, Math.min(1, s))) * R2D
        },
        (phi, theta, out) => {
          out[0] = phi
          out[1] = (R0 * Math.sin(theta * D2R)) / lambda
        },
      )
    }
    // Mercator, eq. 88: y = R0 ln tan((90° + θ)/2).
    case 'MER':
      return checked(
        code,
        (x, y, out) => {
          out[0] = x
          out[1] = 2 * Math.atan(Math.exp(y / R0)) * R2D - 90
        },
        (phi, theta, out) => {
          if (Math.abs(theta) >= 90) return invalid(out)
          out[0] = phi
          out[1] = R0 * Math.log(Math.tan(((90 + theta) / 2) * D2R))
        },
      )
    // Cylindrical perspective, eq. 103–106: μ = PV2_1, λ = PV2_2 (both default 1).
    case 'CYP': {
      const mu = pv(1) ?? 1
      const lambda = pv(2) ?? 1
      if (lambda === 0 || mu === -lambda) throw new WcsInvalidError(`CYP projection with PV2_1=${mu}, PV2_2=${lambda} is degenerate`)
      return checked(
        code,
        (x, y, out) => {
          const eta = y / (R0 * (mu + lambda))
          const s = (eta * mu) / Math.sqrt(eta * eta + 1)
          if (Math.abs(s) > 1 + TOL) return invalid(out)
          out[0] = x / lambda
          out[1] = (Math.atan2(eta, 1) + Math.asin(Math.max(-1, Math.min(1, s)))) * R2D
        },
        (phi, theta, out) => {
          const denominator = mu + Math.cos(theta * D2R)
          if (denominator === 0) return invalid(out)
          out[0] = lambda * phi
          out[1] = (R0 * (mu + lambda) * Math.sin(theta * D2R)) / denominator
        },
      )
    }
    // Sanson-Flamsteed, eq. 92: x = φ cos θ, y = θ.
    case 'SFL':
      return checked(
        code,
        (x, y, out) => {
          const c = Math.cos(y * D2R)
          if (c === 0 && x !== 0) return invalid(out)
          out[0] = c === 0 ? 0 : x / c
          out[1] = y
        },
        (phi, theta, out) => {
          out[0] = phi * Math.cos(theta * D2R)
          out[1] = theta
        },
      )
    // Parabolic, eq. 94–95: x = φ (2 cos(2θ/3) − 1), y = 180° sin(θ/3).
    case 'PAR':
      return checked(
        code,
        (x, y, out) => {
          const s = y / 180
          if (Math.abs(s) > 1 + TOL) return invalid(out)
          const r = 1 - 4 * s * s
          if (r === 0 && x !== 0) return invalid(out)
          out[0] = r === 0 ? 0 : x / r
          out[1] = 3 * Math.asin(Math.max(-1, Math.min(1, s))) * R2D
        },
        (phi, theta, out) => {
          out[0] = phi * (2 * Math.cos(((2 * theta) / 3) * D2R) - 1)
          out[1] = 180 * Math.sin((theta / 3) * D2R)
        },
      )
    // Mollweide, eq. 97–100: x = (2√2/π) φ cos γ, y = √2 R0 sin γ with π sin θ = 2γ + sin 2γ.
    case 'MOL':
      return checked(
        code,
        (x, y, out) => {
          const s = y / (SQRT2 * R0)
          if (Math.abs(s) > 1 + TOL) return invalid(out)
          const gamma = Math.asin(Math.max(-1, Math.min(1, s)))
          const c = Math.cos(gamma)
          if (c === 0 && x !== 0) return invalid(out)
          out[0] = c === 0 ? 0 : (Math.PI * x) / (2 * SQRT2 * c)
          const z = (2 * gamma + Math.sin(2 * gamma)) / Math.PI
          if (Math.abs(z) > 1 + TOL) return invalid(out)
          out[1] = Math.asin(Math.max(-1, Math.min(1, z))) * R2D
        },
        (phi, theta, out) => {
          const gamma = mollweideGamma(theta)
          out[0] = ((2 * SQRT2) / Math.PI) * phi * Math.cos(gamma)
          out[1] = SQRT2 * R0 * Math.sin(gamma)
        },
      )
    // Hammer-Aitoff, eq. 107–110.
    case 'AIT':
      return checked(
        code,
        (x, y, out) => {
          const u = (Math.PI * x) / 720
          const v = (Math.PI * y) / 360
          const z2 = 1 - u * u - v * v
          if (z2 < 0.5 - TOL) return invalid(out)
          const z = Math.sqrt(Math.max(0.5, z2))
          out[0] = 2 * Math.atan2((Math.PI * x * z) / 360, 2 * z * z - 1) * R2D
          out[1] = Math.asin(Math.max(-1, Math.min(1, (Math.PI * y * z) / 180))) * R2D
        },
        (phi, theta, out) => {
          const ct = Math.cos(theta * D2R)
          const gamma = R0 * Math.sqrt(2 / (1 + ct * Math.cos((phi / 2) * D2R)))
          out[0] = 2 * gamma * ct * Math.sin((phi / 2) * D2R)
          out[1] = gamma * Math.sin(theta * D2R)
        },
      )
    default:
      return undefined
  }
}

/** Mollweide's auxiliary angle: the root of 2γ + sin 2γ = π sin θ (monotonic in γ), by bisection. */
function mollweideGamma(theta: number): number {
  if (Math.abs(theta) >= 90) return Math.sign(theta) * (Math.PI / 2)
  const target = Math.PI * Math.sin(theta * D2R)
  let lo = -Math.PI / 2
  let hi = Math.PI / 2
  for (let i = 0; i < 200 && hi - lo > 1e-16; i++) {
    const mid = (lo + hi) / 2
    if (2 * mid + Math.sin(2 * mid) < target) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}
