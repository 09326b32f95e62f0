/**
 * A celestial projection of the FITS WCS standard (Calabretta & Greisen 2002, Paper II): the map between
 * intermediate world coordinates (x, y) in degrees on the projection plane and native spherical coordinates (φ, θ).
 * The zenithal family lives in zenithal.ts, the cylindrical and pseudo-cylindrical ones in cylindrical.ts, and
 * projections.ts picks one by its CTYPE code.
 */

export interface Projection {
  /** The three-letter code of CTYPE (`TAN`, `SIN`...). */
  readonly code: string
  /** Native coordinates of the fiducial point (Paper II Table 13): (0, 90) for zenithal, (0, 0) for cylindrical. */
  readonly phi0: number
  readonly theta0: number
  /** Plane (x, y) to native (φ, θ); both NaN when the point is outside the projection's domain. */
  toNative(x: number, y: number, out: [number, number]): void
  /** Native (φ, θ) to plane (x, y); both NaN when the projection cannot show that point. */
  toPlane(phi: number, theta: number, out: [number, number]): void
}

/** The projection parameters PVi_m of the latitude axis, m = 0..29; undefined when the header omits one. */
export type ProjectionParameters = (m: number) => number | undefined

/** Marks a point as outside the projection. */
export function invalid(out: [number, number]): void {
  out[0] = NaN
  out[1] = NaN
}
