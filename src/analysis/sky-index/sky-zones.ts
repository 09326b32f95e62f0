/**
 * The sky index: declination zones cut into RA cells, numbered so that one plain indexed integer column
 * (`sky_key`) serves SQLite, MySQL/MariaDB and PostgreSQL alike.
 *
 * Why zones and not HEALPix: the zones algorithm (Gray, Nieto-Santisteban & Szalay 2007, "The Zones Algorithm
 * for Finding Points-Near-a-Point or Cross-Matching Spatial Datasets", MSR-TR-2006-52) turns a cone into one
 * contiguous key range per zone it crosses — at a 1″ radius one or two ranges — with nothing but `floor` and one
 * `asin`, and needs no per-database extension. HEALPix NESTED (Górski et al. 2005) gives equal-area cells, but a
 * cone's cover is a set of cells whose ranges need a hierarchical query_disc to enumerate; for the tiny radii of
 * association the zones' unequal RA cell widths near the poles cost nothing, because within one zone a cone is
 * still a single range of cells however narrow they are.
 *
 * Key layout: zone = ⌊(dec + 90°) / h⌋, cell = ⌊ra / h⌋ (RA in degrees, not ·cos dec), key = zone · RA_CELLS + cell,
 * with h = 30″: 21,600 zones × 43,200 cells < 2³¹, so the key fits a 32-bit `integer` in every database. 30″ keeps
 * a 1″ cone to at most 2 × 2 cells while a cell holds only a few objects even at 10,000 objects per square degree.
 * Changing h re-keys every stored row: it is a constant, not a setting.
 */

export const ZONE_ARCSEC = 30
export const ZONE_DEG = ZONE_ARCSEC / 3600
export const ZONE_COUNT = Math.round(180 / ZONE_DEG)
export const RA_CELLS = Math.round(360 / ZONE_DEG)

const RAD = Math.PI / 180
/** Widens every cone by this much (degrees) so that rounding never drops a point lying exactly on its edge. */
const EDGE_DEG = 1e-9

/** An inclusive range of sky keys. */
export interface KeyRange {
  readonly lo: number
  readonly hi: number
}

/** RA folded into [0, 360). */
export function normalizeRa(ra: number): number {
  const folded = ra % 360
  return folded < 0 ? folded + 360 : folded
}

export function zoneOf(dec: number): number {
  return Math.min(ZONE_COUNT - 1, Math.max(0, Math.floor((dec + 90) / ZONE_DEG)))
}

function cellOf(ra: number): number {
  return Math.min(RA_CELLS - 1, Math.floor(normalizeRa(ra) / ZONE_DEG))
}

/** The sky key of a position (degrees, ICRS). */
export function skyKey(ra: number, dec: number): number {
  return zoneOf(dec) * RA_CELLS + cellOf(ra)
}

/**
 * Half-width in RA (degrees) of a cone of radius `radius` centred at declination `dec`: asin(sin r / cos δ), the
 * RA offset of the circle's tangent points (Gray et al. 2007, §2.2); 180 when the cone holds a pole.
 */
export function raHalfWidth(dec: number, radius: number): number {
  if (Math.abs(dec) + radius >= 90) return 180
  const ratio = Math.sin(radius * RAD) / Math.cos(dec * RAD)
  return ratio >= 1 ? 180 : Math.asin(ratio) / RAD
}

/** Sorted, with overlapping and adjacent ranges merged. */
export function mergeRanges(ranges: readonly KeyRange[]): KeyRange[] {
  const sorted = [...ranges].sort((a, b) => a.lo - b.lo)
  const merged: { lo: number; hi: number }[] = []
  for (const range of sorted) {
    const last = merged[merged.length - 1]
    if (last !== undefined && range.lo <= last.hi + 1) last.hi = Math.max(last.hi, range.hi)
    else merged.push({ lo: range.lo, hi: range.hi })
  }
  return merged
}

/**
 * Key ranges that hold every position within `radius` degrees of (ra, dec): per zone crossed, the RA interval
 * [ra − α, ra + α], split in two where it wraps through 0/360, the whole zone where the cone holds a pole.
 * A superset: test the angular distance of what the ranges return.
 */
export function coneRanges(ra: number, dec: number, radius: number): KeyRange[] {
  const r = radius + EDGE_DEG
  const alpha = raHalfWidth(dec, r)
  const ranges: KeyRange[] = []
  const first = zoneOf(dec - r)
  const last = zoneOf(dec + r)
  const centre = normalizeRa(ra)
  for (let zone = first; zone <= last; zone++) {
    const base = zone * RA_CELLS
    if (alpha >= 180) {
      ranges.push({ lo: base, hi: base + RA_CELLS - 1 })
      continue
    }
    const from = centre - alpha
    const to = centre + alpha
    if (from < 0) {
      ranges.push({ lo: base + cellOf(from + 360), hi: base + RA_CELLS - 1 }, { lo: base, hi: base + cellOf(to) })
    } else if (to >= 360) {
      ranges.push({ lo: base + cellOf(from), hi: base + RA_CELLS - 1 }, { lo: base, hi: base + cellOf(to - 360) })
    } else {
      ranges.push({ lo: base + cellOf(from), hi: base + cellOf(to) })
    }
  }
  return mergeRanges(ranges)
}

/**
 * Angular distance in degrees by Vincenty's formula (the special case of the ellipsoid formula for a sphere):
 * atan2 of the cross- and dot-product magnitudes, accurate from micro-arcseconds to antipodes, where the
 * cosine formula loses everything below ~1″ and the haversine loses precision near 180°.
 */
export function angularDistance(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const dra = (ra2 - ra1) * RAD
  const phi1 = dec1 * RAD
  const phi2 = dec2 * RAD
  const sin1 = Math.sin(phi1)
  const cos1 = Math.cos(phi1)
  const sin2 = Math.sin(phi2)
  const cos2 = Math.cos(phi2)
  const cosDra = Math.cos(dra)
  const a = cos2 * Math.sin(dra)
  const b = cos1 * sin2 - sin1 * cos2 * cosDra
  const c = sin1 * sin2 + cos1 * cos2 * cosDra
  return Math.atan2(Math.hypot(a, b), c) / RAD
}

/** Whether `key` lies in one of the sorted, merged `ranges`. */
export function inRanges(ranges: readonly KeyRange[], key: number): boolean {
  for (const range of ranges) if (key >= range.lo && key <= range.hi) return true
  return false
}
