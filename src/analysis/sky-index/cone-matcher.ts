import { angularDistance, normalizeRa, raHalfWidth } from './sky-zones.js'

/** A cone to match points against (degrees; radius in arcseconds, as watchlists give it). */
export interface SkyCone {
  readonly ra: number
  readonly dec: number
  readonly radiusArcsec: number
}

const RAD = Math.PI / 180
/** Cells per zone stay below this, so zone · CELL_STRIDE + cell is an exact integer map key. */
const CELL_STRIDE = 1 << 22

/**
 * Which cones contain a point, for many cones (a watchlist of 100,000) and many points (every alert).
 *
 * The sky is cut into declination zones of height h, and each zone into RA cells about h wide *on the sky*
 * (⌊360 · cos δ_max / h⌋ cells, δ_max the zone's edge nearest the pole), so cells near the poles do not shrink
 * to slivers. Each cone is listed in every cell its disk can touch (per zone, the RA interval of the zones
 * algorithm, Gray et al. 2007); a point looks up its one cell and tests the exact distance to the few cones
 * listed there. Building costs one pass over the cones; a look-up costs one map get and a handful of distances.
 * A cone much larger than h lands in many cells: h should be about the typical radius (default 60″).
 */
export class ConeMatcher<C extends SkyCone = SkyCone> {
  readonly #zoneDeg: number
  readonly #zoneCount: number
  readonly #cellsPerZone: number[]
  readonly #cells = new Map<number, number[]>()
  readonly #cones: readonly C[]

  constructor(cones: readonly C[], options: { zoneArcsec?: number } = {}) {
    this.#zoneDeg = (options.zoneArcsec ?? 60) / 3600
    this.#zoneCount = Math.ceil(180 / this.#zoneDeg)
    this.#cellsPerZone = []
    for (let zone = 0; zone < this.#zoneCount; zone++) {
      const lo = -90 + zone * this.#zoneDeg
      const hi = Math.min(90, lo + this.#zoneDeg)
      const edge = Math.max(Math.abs(lo), Math.abs(hi))
      const cells = Math.floor((360 * Math.cos(edge * RAD)) / this.#zoneDeg)
      this.#cellsPerZone.push(Math.min(CELL_STRIDE - 1, Math.max(1, cells)))
    }
    this.#cones = cones
    cones.forEach((cone, index) => this.#add(cone, index))
  }

  get size(): number {
    return this.#cones.length
  }

  #zone(dec: number): number {
    return Math.min(this.#zoneCount - 1, Math.max(0, Math.floor((dec + 90) / this.#zoneDeg)))
  }

  #cell(zone: number, ra: number): number {
    const cells = this.#cellsPerZone[zone]!
    return Math.min(cells - 1, Math.floor((normalizeRa(ra) / 360) * cells))
  }

  #add(cone: C, index: number): void {
    const radius = cone.radiusArcsec / 3600 + 1e-9
    const alpha = raHalfWidth(cone.dec, radius)
    for (let zone = this.#zone(cone.dec - radius); zone <= this.#zone(cone.dec + radius); zone++) {
      const cells = this.#cellsPerZone[zone]!
      const from = this.#cell(zone, cone.ra - alpha)
      const to = this.#cell(zone, cone.ra + alpha)
      // The interval may wrap through RA 0; walk it modulo the zone's cell count (all cells when it covers the zone).
      const span = alpha >= 180 || (2 * alpha * cells) / 360 + 2 >= cells ? cells : ((to - from + cells) % cells) + 1
      for (let step = 0; step < Math.min(span, cells); step++) {
        const key = zone * CELL_STRIDE + ((from + step) % cells)
        const list = this.#cells.get(key)
        if (list === undefined) this.#cells.set(key, [index])
        else list.push(index)
      }
    }
  }

  /** The cones that contain (ra, dec), in the order they were given. */
  match(ra: number, dec: number): C[] {
    const zone = this.#zone(dec)
    const list = this.#cells.get(zone * CELL_STRIDE + this.#cell(zone, ra))
    if (list === undefined) return []
    const found: C[] = []
    for (const index of list) {
      const cone = this.#cones[index]!
      if (angularDistance(cone.ra, cone.dec, ra, dec) * 3600 <= cone.radiusArcsec) found.push(cone)
    }
    return found
  }
}
