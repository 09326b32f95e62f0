/**
 * The spherical rotation between a projection's native coordinates (φ, θ) and celestial coordinates (α, δ):
 * Calabretta & Greisen 2002 (Paper II), §2.3 eq. 2 and 5, with the native pole's celestial position found from
 * the fiducial point, LONPOLE and LATPOLE as in §2.4 (eq. 8–11) and WCSLIB's `celset`, which astropy runs.
 * All angles are degrees.
 */
import { WcsInvalidError } from '../../core/errors.js'

const D2R = Math.PI / 180
const R2D = 180 / Math.PI
/** WCSLIB's tolerance for "equal" angles and for |sin| slightly above 1 from rounding. */
const TOL = 1e-10

/** The Euler angles of the rotation: the native pole at (αp, δp) in celestial coordinates, the celestial pole at φp. */
export interface SphereRotation {
  /** Celestial longitude of the native pole, αp. */
  readonly alphaP: number
  /** Celestial latitude of the native pole, δp (LATPOLE after resolution). */
  readonly deltaP: number
  /** Native longitude of the celestial pole, φp (LONPOLE). */
  readonly phiP: number
}

/** LONPOLE's default (Paper II §2.4): 0° when the fiducial point's latitude is at or above θ0, else 180°, plus φ0. */
export function defaultLonpole(delta0: number, phi0: number, theta0: number): number {
  let phiP = (delta0 >= theta0 ? 0 : 180) + phi0
  if (phiP > 180) phiP -= 360
  else if (phiP < -180) phiP += 360
  return phiP
}

/**
 * The rotation that puts the fiducial point (φ0, θ0) of the projection at the celestial reference (α0, δ0) = CRVAL.
 * `latpole` picks between the two solutions for δp when there are two (default +90°, Paper II §2.4).
 */
export function sphereRotation(
  alpha0: number,
  delta0: number,
  phi0: number,
  theta0: number,
  lonpole: number | undefined,
  latpole = 90,
): SphereRotation {
  const phiP = lonpole ?? defaultLonpole(delta0, phi0, theta0)
  if (theta0 === 90) return { alphaP: alpha0, deltaP: delta0, phiP }

  const slat0 = Math.sin(delta0 * D2R)
  const clat0 = Math.cos(delta0 * D2R)
  const sthe0 = Math.sin(theta0 * D2R)
  const cthe0 = Math.cos(theta0 * D2R)
  let sphip = 0
  let u = theta0
  let v = 90 - delta0
  let latp = latpole
  let latpSolved = false
  if (phiP !== phi0) {
    sphip = Math.sin((phiP - phi0) * D2R)
    const cphip = Math.cos((phiP - phi0) * D2R)
    const x = cthe0 * cphip
    const y = sthe0
    const z = Math.hypot(x, y)
    if (z === 0) {
      if (slat0 !== 0) throw new WcsInvalidError(`no celestial pole satisfies CRVAL2=${delta0} with LONPOLE=${phiP}`)
      // δp is then given by LATPOLE alone.
      latp = Math.max(-90, Math.min(90, latp))
      latpSolved = true
    } else {
      let slz = slat0 / z
      if (Math.abs(slz) > 1) {
        if (Math.abs(slz) - 1 >= TOL) throw new WcsInvalidError(`no celestial pole satisfies CRVAL2=${delta0} with LONPOLE=${phiP}`)
        slz = Math.sign(slz)
      }
      u = Math.atan2(y, x) * R2D
      v = Math.acos(slz) * R2D
    }
  }
  if (!latpSolved) {
    const latp1 = wrap180(u + v)
    const latp2 = wrap180(u - v)
    // Of the two solutions (eq. 9), the one nearer LATPOLE when both are valid latitudes.
    if (Math.abs(latp - latp1) < Math.abs(latp - latp2)) latp = Math.abs(latp1) < 90 + TOL ? latp1 : latp2
    else latp = Math.abs(latp2) < 90 + TOL ? latp2 : latp1
    if (Math.abs(latp) < 90 + TOL) latp = Math.max(-90, Math.min(90, latp))
  }

  let lngp: number
  const z = Math.cos(latp * D2R) * clat0
  if (Math.abs(z) < TOL) {
    if (Math.abs(clat0) < TOL) lngp = alpha0
    else if (latp > 0) lngp = alpha0 + phiP - phi0 - 180
    else lngp = alpha0 - phiP + phi0
  } else {
    const x = (sthe0 - Math.sin(latp * D2R) * slat0) / z
    const y = (sphip * cthe0) / clat0
    if (x === 0 && y === 0) throw new WcsInvalidError('the celestial pole of this WCS is undefined')
    lngp = alpha0 - Math.atan2(y, x) * R2D
  }
  // The native pole's longitude takes the sign of the reference longitude, as in WCSLIB.
  if (alpha0 >= 0) {
    if (lngp < 0) lngp += 360
    else if (lngp > 360) lngp -= 360
  } else if (lngp > 0) lngp -= 360
  else if (lngp < -360) lngp += 360
  return { alphaP: lngp, deltaP: latp, phiP }
}

/** Native (φ, θ) to celestial (α, δ), Paper II eq. 2; α in [0, 360). Writes into `out` to spare allocations in loops. */
export function nativeToCelestial(rotation: SphereRotation, phi: number, theta: number, out: [number, number]): void {
  const { alphaP, deltaP, phiP } = rotation
  const dphi = (phi - phiP) * D2R
  const st = Math.sin(theta * D2R)
  const ct = Math.cos(theta * D2R)
  const sdp = Math.sin(deltaP * D2R)
  const cdp = Math.cos(deltaP * D2R)
  const cdphi = Math.cos(dphi)
  const x = st * cdp - ct * sdp * cdphi
  const y = -ct * Math.sin(dphi)
  let alpha = alphaP + Math.atan2(y, x) * R2D
  alpha %= 360
  if (alpha < 0) alpha += 360
  out[0] = alpha
  out[1] = latitude(st * sdp + ct * cdp * cdphi, x, y)
}

/** Celestial (α, δ) to native (φ, θ), Paper II eq. 5; φ in [−180, 180] as projections expect. */
export function celestialToNative(rotation: SphereRotation, alpha: number, delta: number, out: [number, number]): void {
  const { alphaP, deltaP, phiP } = rotation
  const dalpha = (alpha - alphaP) * D2R
  const sd = Math.sin(delta * D2R)
  const cd = Math.cos(delta * D2R)
  const sdp = Math.sin(deltaP * D2R)
  const cdp = Math.cos(deltaP * D2R)
  const cda = Math.cos(dalpha)
  const x = sd * cdp - cd * sdp * cda
  const y = -cd * Math.sin(dalpha)
  out[0] = wrap180(phiP + Math.atan2(y, x) * R2D)
  out[1] = latitude(sd * sdp + cd * cdp * cda, x, y)
}

/**
 * asin(z) loses precision near the poles (|z| → 1); there the latitude comes from the horizontal components,
 * acos(√(x² + y²)), as WCSLIB does.
 */
function latitude(z: number, x: number, y: number): number {
  if (Math.abs(z) > 0.99) return Math.sign(z) * Math.acos(Math.min(1, Math.hypot(x, y))) * R2D
  return Math.asin(z) * R2D
}

function wrap180(angle: number): number {
  let wrapped = angle
  while (wrapped > 180) wrapped -= 360
  while (wrapped < -180) wrapped += 360
  return wrapped
}
