/**
 * The celestial World Coordinate System of a FITS image: pixel ↔ sky through the linear transformation, optional
 * SIP distortion, a projection and a spherical rotation (Greisen & Calabretta 2002, Paper I §2; Calabretta &
 * Greisen 2002, Paper II §2; Shupe et al. 2005). Pixel coordinates are 0-based, the centre of the first pixel at
 * (0, 0) — astropy's origin=0 — so FITS pixel p is p − 1 here. Sky coordinates are degrees; for galactic or
 * ecliptic headers `ra`/`dec` hold the longitude/latitude of that system.
 */
import { WcsInvalidError } from '../../core/errors.js'
import type { Projection } from './projection.js'
import { makeProjection } from './projections.js'
import { readWcsParameters, type WcsParameters } from './wcs-header.js'
import { celestialToNative, nativeToCelestial, sphereRotation, type SphereRotation } from './sphere.js'
import { sipForward, sipInverse } from './sip.js'
import type { HeaderLookup } from '../fits/header-card.js'

export type { WcsParameters } from './wcs-header.js'

export interface SkyPosition {
  ra: number
  dec: number
}

export interface PixelPosition {
  x: number
  y: number
}

/** Reads the celestial WCS of a header (primary, unlettered description); throws WcsInvalidError. */
export function readWcs(header: HeaderLookup): Wcs {
  return new Wcs(readWcsParameters(header))
}

export interface TanWcsOptions {
  /** The reference pixel, FITS 1-based (CRPIX1, CRPIX2). */
  crpix: readonly [number, number]
  /** Right ascension and declination of the reference pixel, degrees. */
  crval: readonly [number, number]
  /** CD1_1, CD1_2, CD2_1, CD2_2 in degrees per pixel. */
  cd: readonly [number, number, number, number]
  sip?: WcsParameters['sip']
  /** ICRS unless given. */
  system?: 'ICRS' | 'FK5'
}

/** A gnomonic (TAN, or TAN-SIP with `sip`) equatorial WCS from its numbers, for code that makes images (mock sky, cutouts). */
export function tanWcs(options: TanWcsOptions): Wcs {
  const suffix = options.sip === undefined ? '' : '-SIP'
  const system = options.system ?? 'ICRS'
  return new Wcs({
    ctype: [`RA---TAN${suffix}`, `DEC--TAN${suffix}`],
    projection: 'TAN',
    lngAxis: 0,
    crpix: options.crpix,
    crval: options.crval,
    cd: options.cd,
    system,
    systemFromHeader: true,
    ...(system === 'FK5' ? { equinox: 2000 } : {}),
    matrixFrom: 'CD',
    ...(options.sip === undefined ? {} : { sip: options.sip }),
  })
}

export class Wcs {
  readonly parameters: WcsParameters
  readonly projection: Projection
  readonly rotation: SphereRotation
  /** The 2×2 matrix (degrees per pixel, row-major) from pixel offsets to intermediate world coordinates. */
  readonly matrix: readonly [number, number, number, number]
  private readonly inverse: readonly [number, number, number, number]
  /** Which intermediate axis (0 or 1) is the longitude: 1 when CTYPE1 is the latitude (DEC--TAN first). */
  private readonly lng: 0 | 1
  /** Scratch pair for the SIP inverse in skyToPixelInto (whose `out` is still in use there). */
  private readonly scratch: [number, number] = [0, 0]

  constructor(parameters: WcsParameters) {
    this.parameters = parameters
    const pv = parameters.pv ?? {}
    this.projection = makeProjection(parameters.projection, (m) => pv[m])
    this.lng = parameters.lngAxis
    const [a, b, c, d] = parameters.cd
    const det = a * d - b * c
    if (!(Math.abs(det) > 0) || !Number.isFinite(det)) {
      throw new WcsInvalidError(`the WCS matrix [[${a}, ${b}], [${c}, ${d}]] is singular`)
    }
    this.matrix = [a, b, c, d]
    this.inverse = [d / det, -b / det, -c / det, a / det]
    const crvalLng = parameters.crval[this.lng]
    const crvalLat = parameters.crval[1 - this.lng]!
    this.rotation = sphereRotation(crvalLng, crvalLat, this.projection.phi0, this.projection.theta0, parameters.lonpole, parameters.latpole)
  }

  /** Sky position of 0-based pixel (x, y); NaN when the pixel is off the projection. */
  pixelToSky(x: number, y: number): SkyPosition {
    const out: [number, number] = [0, 0]
    this.pixelToSkyInto(x, y, out)
    return { ra: out[0], dec: out[1] }
  }

  /** 0-based pixel of a sky position; NaN when the projection cannot show it. */
  skyToPixel(ra: number, dec: number): PixelPosition {
    const out: [number, number] = [0, 0]
    this.skyToPixelInto(ra, dec, out)
    return { x: out[0], y: out[1] }
  }

  /** pixelToSky over arrays of coordinates (one allocation for the lot). */
  pixelsToSky(xs: Float64Array, ys: Float64Array): { ra: Float64Array; dec: Float64Array } {
    if (xs.length !== ys.length) throw new RangeError('pixelsToSky needs as many y as x coordinates')
    const ra = new Float64Array(xs.length)
    const dec = new Float64Array(xs.length)
    const out: [number, number] = [0, 0]
    for (let i = 0; i < xs.length; i++) {
      this.pixelToSkyInto(xs[i]!, ys[i]!, out)
      ra[i] = out[0]
      dec[i] = out[1]
    }
    return { ra, dec }
  }

  /** skyToPixel over arrays of coordinates. */
  skyToPixels(ras: Float64Array, decs: Float64Array): { x: Float64Array; y: Float64Array } {
    if (ras.length !== decs.length) throw new RangeError('skyToPixels needs as many dec as ra coordinates')
    const x = new Float64Array(ras.length)
    const y = new Float64Array(ras.length)
    const out: [number, number] = [0, 0]
    for (let i = 0; i < ras.length; i++) {
      this.skyToPixelInto(ras[i]!, decs[i]!, out)
      x[i] = out[0]
      y[i] = out[1]
    }
    return { x, y }
  }

  /** Writes the sky position of (x, y) into out: the allocation-free form for loops over pixels. */
  pixelToSkyInto(x: number, y: number, out: [number, number]): void {
    const { crpix, sip } = this.parameters
    let u = x + 1 - crpix[0]
    let v = y + 1 - crpix[1]
    if (sip !== undefined) {
      sipForward(sip, u, v, out)
      u = out[0]
      v = out[1]
    }
    const [a, b, c, d] = this.matrix
    const w0 = a * u + b * v
    const w1 = c * u + d * v
    const planeX = this.lng === 0 ? w0 : w1
    const planeY = this.lng === 0 ? w1 : w0
    this.projection.toNative(planeX, planeY, out)
    if (Number.isNaN(out[0])) return
    nativeToCelestial(this.rotation, out[0], out[1], out)
  }

  /** Writes the 0-based pixel of (ra, dec) into out. */
  skyToPixelInto(ra: number, dec: number, out: [number, number]): void {
    const { crpix, sip } = this.parameters
    celestialToNative(this.rotation, ra, dec, out)
    this.projection.toPlane(out[0], out[1], out)
    if (Number.isNaN(out[0])) return
    const w0 = this.lng === 0 ? out[0] : out[1]
    const w1 = this.lng === 0 ? out[1] : out[0]
    const [a, b, c, d] = this.inverse
    let u = a * w0 + b * w1
    let v = c * w0 + d * w1
    if (sip !== undefined) {
      sipInverse(sip, u, v, this.scratch)
      u = this.scratch[0]
      v = this.scratch[1]
    }
    out[0] = u + crpix[0] - 1
    out[1] = v + crpix[1] - 1
  }

  /** Degrees per pixel at the reference point: the square root of |det CD| (the mean for a skewed matrix). */
  get pixelScale(): number {
    const [a, b, c, d] = this.matrix
    return Math.sqrt(Math.abs(a * d - b * c))
  }
}
