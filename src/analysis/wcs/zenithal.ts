/**
 * Zenithal projections (Calabretta & Greisen 2002, Paper II §5.1): the native pole is the fiducial point
 * (φ0, θ0) = (0, 90°), x = Rθ sin φ, y = −Rθ cos φ, and each projection is a radius function Rθ.
 * Bounds and root choices follow WCSLIB (prj.c), which astropy runs, so both agree on which points exist.
 */
import { WcsInvalidError } from '../../core/errors.js'
import { invalid, type Projection, type ProjectionParameters } from './projection.js'

const D2R = Math.PI / 180
const R2D = 180 / Math.PI
/** R0 = 180°/π: the plane is in degrees (Paper II eq. 11). */
const R0 = R2D
const TOL = 1e-13

/** A zenithal projection given by Rθ (degrees) and its inverse; `theta` returns NaN outside the domain. */
function radial(code: string, radius: (theta: number) => number, theta: (r: number) => number): Projection {
  return {
    code,
    phi0: 0,
    theta0: 90,
    toNative(x, y, out) {
      const r = Math.hypot(x, y)
      const t = theta(r)
      if (Number.isNaN(t)) return invalid(out)
      out[0] = r === 0 ? 0 : Math.atan2(x, -y) * R2D
      out[1] = t
    },
    toPlane(phi, th, out) {
      const r = radius(th)
      if (!Number.isFinite(r)) return invalid(out)
      out[0] = r * Math.sin(phi * D2R)
      out[1] = -r * Math.cos(phi * D2R)
    },
  }
}

export function zenithalProjection(code: string, pv: ProjectionParameters): Projection | undefined {
  switch (code) {
    // Gnomonic, eq. 54: Rθ = R0 cot θ; only the hemisphere in front of the plane.
    case 'TAN':
      return radial(
        code,
        (theta) => (theta <= 0 ? NaN : (R0 * Math.cos(theta * D2R)) / Math.sin(theta * D2R)),
        (r) => Math.atan2(R0, r) * R2D,
      )
    // Zenithal equidistant, eq. 64: Rθ = 90° − θ.
    case 'ARC':
      return radial(
        code,
        (theta) => 90 - theta,
        (r) => (r > 180 + TOL ? NaN : 90 - Math.min(r, 180)),
      )
    // Zenithal equal-area, eq. 70: Rθ = 2 R0 sin((90° − θ)/2).
    case 'ZEA':
      return radial(
        code,
        (theta) => 2 * R0 * Math.sin(((90 - theta) / 2) * D2R),
        (r) => {
          const s = r / (2 * R0)
          if (s > 1 + TOL) return NaN
          return 90 - 2 * Math.asin(Math.min(1, s)) * R2D
        },
      )
    // Stereographic, eq. 61: Rθ = 2 R0 tan((90° − θ)/2).
    case 'STG':
      return radial(
        code,
        (theta) => (theta === -90 ? NaN : 2 * R0 * Math.tan(((90 - theta) / 2) * D2R)),
        (r) => 90 - 2 * Math.atan(r / (2 * R0)) * R2D,
      )
    case 'SIN':
      return slantOrthographic(pv(1) ?? 0, pv(2) ?? 0)
    case 'AZP':
      return zenithalPerspective(pv(1) ?? 0, pv(2) ?? 0)
    case 'ZPN':
      return zenithalPolynomial(pv)
    default:
      return undefined
  }
}

/**
 * Slant orthographic, Paper II §5.1.5 eq. 43–46 with ξ = PV2_1, η = PV2_2 (ξ = η = 0 is plain SIN).
 * The inverse solves for t = 1 − sin θ: (ξ² + η² + 1) t² − 2(Xξ + Yη + 1) t + X² + Y² = 0, taking the root
 * nearer the pole (smaller t), in the form that stays accurate for small t.
 */
function slantOrthographic(xi: number, eta: number): Projection {
  const a = xi * xi + eta * eta + 1
  return {
    code: 'SIN',
    phi0: 0,
    theta0: 90,
    toNative(x, y, out) {
      const X = x / R0
      const Y = y / R0
      const r2 = X * X + Y * Y
      const b = X * xi + Y * eta + 1
      const discriminant = b * b - a * r2
      if (discriminant < 0) {
        if (discriminant < -TOL) return invalid(out)
      }
      const t = r2 === 0 ? 0 : r2 / (b + Math.sqrt(Math.max(0, discriminant)))
      const sinTheta = 1 - t
      if (!(Math.abs(sinTheta) <= 1 + TOL)) return invalid(out)
      // t = 1 − sin θ = 2 sin²(ζ/2) with ζ = 90° − θ: accurate at the pole, where asin(1 − t) is not.
      const theta = 90 - 2 * Math.asin(Math.sqrt(Math.min(1, t / 2))) * R2D
      const px = X - xi * t
      const py = -(Y - eta * t)
      out[0] = px === 0 && py === 0 ? 0 : Math.atan2(px, py) * R2D
      out[1] = theta
    },
    toPlane(phi, theta, out) {
      const ct = Math.cos(theta * D2R)
      // 1 − sin θ without cancellation near the pole.
      const t = 2 * Math.sin(((90 - theta) / 2) * D2R) ** 2
      if (xi === 0 && eta === 0 && theta < 0) return invalid(out)
      out[0] = R0 * (ct * Math.sin(phi * D2R) + xi * t)
      out[1] = -R0 * (ct * Math.cos(phi * D2R) - eta * t)
    },
  }
}

/**
 * Zenithal perspective, Paper II §5.1.1 eq. 18–29: μ = PV2_1 (distance of the source of projection in sphere
 * radii), γ = PV2_2 (tilt of the plane). The inverse picks, of θ = ψ − ω and ψ + ω + 180°, the one nearer the pole.
 */
function zenithalPerspective(mu: number, gamma: number): Projection {
  if (mu === -1) throw new WcsInvalidError('AZP projection with PV2_1 = -1 is degenerate')
  const w0 = R0 * (mu + 1)
  const cosGamma = Math.cos(gamma * D2R)
  const sinGamma = Math.sin(gamma * D2R)
  const tanGamma = Math.tan(gamma * D2R)
  if (cosGamma === 0) throw new WcsInvalidError('AZP projection with PV2_2 = ±90 is degenerate')
  return {
    code: 'AZP',
    phi0: 0,
    theta0: 90,
    toNative(x, y, out) {
      const yc = y * cosGamma
      const r = Math.hypot(x, yc)
      if (r === 0) {
        out[0] = 0
        out[1] = 90
        return
      }
      const rho = r / (w0 + y * sinGamma)
      let omega = (rho * mu) / Math.sqrt(rho * rho + 1)
      if (Math.abs(omega) > 1) {
        if (Math.abs(omega) > 1 + TOL) return invalid(out)
        omega = Math.sign(omega) * 90
      } else omega = Math.asin(omega) * R2D
      const psi = Math.atan2(1, rho) * R2D
      let a = psi - omega
      let b = psi + omega + 180
      if (a > 90) a -= 360
      if (b > 90) b -= 360
      out[0] = Math.atan2(x, -yc) * R2D
      out[1] = Math.max(a, b)
    },
    toPlane(phi, theta, out) {
      const sp = Math.sin(phi * D2R)
      const cp = Math.cos(phi * D2R)
      const ct = Math.cos(theta * D2R)
      const denominator = mu + Math.sin(theta * D2R) + ct * cp * tanGamma
      if (denominator === 0) return invalid(out)
      const r = (w0 * ct) / denominator
      // Points behind the source of projection (the far side for |μ| > 1) are not on the map.
      if (Math.abs(mu) > 1 && Math.sin(theta * D2R) < -1 / mu) return invalid(out)
      out[0] = r * sp
      out[1] = (-r * cp) / cosGamma
    },
  }
}

/**
 * Zenithal polynomial, Paper II §5.1.7 eq. 68: Rθ = R0 Σ Pm (π/2 − θ)^m, Pm = PV2_m (m = 0..20). The inverse
 * is solved numerically on [0, the first turning point of the polynomial], where it is monotonic (WCSLIB zpnset).
 */
function zenithalPolynomial(pv: ProjectionParameters): Projection {
  const p: number[] = []
  for (let m = 0; m <= 20; m++) p.push(pv(m) ?? 0)
  let degree = 20
  while (degree >= 0 && p[degree] === 0) degree--
  if (degree < 0) throw new WcsInvalidError('ZPN projection without non-zero PV2_m coefficients')
  const poly = (zd: number): number => {
    let value = 0
    for (let m = degree; m >= 0; m--) value = value * zd + p[m]!
    return value
  }
  const slope = (zd: number): number => {
    let value = 0
    for (let m = degree; m > 0; m--) value = value * zd + m * p[m]!
    return value
  }
  // The zenith distance where the derivative first vanishes: beyond it one radius has two zenith distances.
  let zdMax = Math.PI
  if (degree >= 2) {
    if (p[1]! <= 0) throw new WcsInvalidError('ZPN projection with PV2_1 <= 0 has no valid domain')
    let zd1 = 0
    for (let j = 0; j < 180; j++) {
      const zd2 = j * D2R
      if (slope(zd2) <= 0) {
        zdMax = bisect(slope, zd1, zd2, 0)
        break
      }
      zd1 = zd2
    }
  }
  const rMin = poly(0)
  const rMax = poly(zdMax)
  return {
    code: 'ZPN',
    phi0: 0,
    theta0: 90,
    toNative(x, y, out) {
      const r = Math.hypot(x, y) / R0
      let zd: number
      if (degree === 0) return invalid(out)
      if (degree === 1) zd = (r - p[0]!) / p[1]!
      else if (r < rMin) {
        if (r < rMin - TOL) return invalid(out)
        zd = 0
      } else if (r > rMax) {
        if (r > rMax + TOL) return invalid(out)
        zd = zdMax
      } else zd = bisect(poly, 0, zdMax, r)
      if (zd < -TOL || zd > Math.PI + TOL) return invalid(out)
      out[0] = r === 0 ? 0 : Math.atan2(x, -y) * R2D
      out[1] = 90 - Math.max(0, Math.min(Math.PI, zd)) * R2D
    },
    toPlane(phi, theta, out) {
      const zd = (90 - theta) * D2R
      if (zd > zdMax + TOL) return invalid(out)
      const r = R0 * poly(zd)
      out[0] = r * Math.sin(phi * D2R)
      out[1] = -r * Math.cos(phi * D2R)
    },
  }
}

/** The root of f(z) = target in [lo, hi] for an f monotonic there, by bisection to the last bit of a double. */
function bisect(f: (z: number) => number, lo: number, hi: number, target: number): number {
  let a = lo
  let b = hi
  const increasing = f(b) >= f(a)
  for (let i = 0; i < 200 && b - a > 1e-15; i++) {
    const mid = (a + b) / 2
    const fm = f(mid) - target
    if (fm === 0) return mid
    if (fm > 0 === increasing) b = mid
    else a = mid
  }
  return (a + b) / 2
}
