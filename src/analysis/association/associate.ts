import type { AssociationPlan, DetectionInput, DiaObjectRecord, FluxSums, ObjectState } from '../../core/ports/object-ledger.js'
import { angularDistance, coneRanges, skyKey } from '../sky-index/sky-zones.js'

/** Rubin's and ZTF's default: a detection within 1″ of an object is that object again. */
export const DEFAULT_ASSOCIATION_RADIUS_ARCSEC = 1

const RAD = Math.PI / 180

/**
 * Associates one batch of detections with the objects near them (pure; the ledger adapters supply `candidates`,
 * every stored object within the radius of some detection, and store the plan in one transaction).
 *
 * Each detection, taken in time order (MJD, then input order, so a batch always gives the same plan), joins the
 * nearest object whose *current* mean position is within the radius, or starts a new object that later detections
 * of the same batch can join: two detections of one new source in one batch make one object. Ties go to the lower
 * object id (existing objects before new ones), again for determinism.
 *
 * An object's position is the plain mean of its detections' unit vectors, renormalised (kept incrementally as
 * n·û_old + û_new): detections carry no position errors to weight by, a survey's astrometric errors are alike from
 * one detection to the next, and a mean of vectors has no trouble at RA 0/360 or the poles. Fluxes are kept per
 * filter as running sums, so both the plain and the inverse-variance weighted mean follow (see `FluxSums`).
 */
export function associate(
  detections: readonly DetectionInput[],
  candidates: readonly DiaObjectRecord[],
  radiusArcsec: number = DEFAULT_ASSOCIATION_RADIUS_ARCSEC,
): AssociationPlan {
  if (!(radiusArcsec > 0)) throw new RangeError(`association radius must be positive, got ${radiusArcsec}″`)
  const radius = radiusArcsec / 3600
  const objects: ObjectState[] = []
  const indexOf = new Map<ObjectState, number>()
  const cells = new Map<number, ObjectState[]>()
  const place = (object: ObjectState): void => {
    const key = skyKey(object.ra, object.dec)
    const list = cells.get(key)
    if (list === undefined) cells.set(key, [object])
    else list.push(object)
  }
  const unplace = (object: ObjectState): void => {
    const list = cells.get(skyKey(object.ra, object.dec))
    const at = list?.indexOf(object) ?? -1
    if (at >= 0) list!.splice(at, 1)
  }
  for (const candidate of [...candidates].sort((a, b) => a.objectId - b.objectId)) {
    place({ ...candidate, fluxes: copyFluxes(candidate.fluxes) })
  }

  const order = detections.map((_, index) => index).sort((a, b) => detections[a]!.mjd - detections[b]!.mjd || a - b)
  const assignment: number[] = new Array<number>(detections.length).fill(-1)
  for (const index of order) {
    const detection = detections[index]!
    let best: ObjectState | null = null
    let bestDistance = Number.POSITIVE_INFINITY
    for (const range of coneRanges(detection.ra, detection.dec, radius)) {
      for (let key = range.lo; key <= range.hi; key++) {
        const list = cells.get(key)
        if (list === undefined) continue
        for (const object of list) {
          const distance = angularDistance(object.ra, object.dec, detection.ra, detection.dec)
          if (distance > radius) continue
          if (distance < bestDistance || (distance === bestDistance && best !== null && idRank(object) < idRank(best))) {
            best = object
            bestDistance = distance
          }
        }
      }
    }
    let target: ObjectState
    if (best === null) {
      target = startObject(detection)
    } else {
      target = best
      unplace(target)
      addDetection(target, detection)
    }
    place(target)
    let at = indexOf.get(target)
    if (at === undefined) {
      at = objects.length
      objects.push(target)
      indexOf.set(target, at)
    }
    assignment[index] = at
  }
  return { objects, assignment }
}

function idRank(object: ObjectState): number {
  return object.objectId ?? Number.MAX_SAFE_INTEGER
}

function copyFluxes(fluxes: Record<string, FluxSums>): Record<string, FluxSums> {
  const copy: Record<string, FluxSums> = {}
  for (const [filter, sums] of Object.entries(fluxes)) copy[filter] = { ...sums }
  return copy
}

function startObject(detection: DetectionInput): ObjectState {
  const object: ObjectState = {
    objectId: null,
    ra: normalize(detection.ra),
    dec: detection.dec,
    nDetections: 0,
    firstMjd: detection.mjd,
    lastMjd: detection.mjd,
    stream: detection.stream,
    fluxes: {},
  }
  addDetection(object, detection)
  return object
}

function normalize(ra: number): number {
  const folded = ra % 360
  return folded < 0 ? folded + 360 : folded
}

function unit(ra: number, dec: number): [number, number, number] {
  const cosDec = Math.cos(dec * RAD)
  return [cosDec * Math.cos(ra * RAD), cosDec * Math.sin(ra * RAD), Math.sin(dec * RAD)]
}

/** Adds one detection to an object's mean position, counts, time span and flux sums (in place). */
export function addDetection(object: ObjectState, detection: DetectionInput): void {
  if (object.nDetections > 0) {
    const n = object.nDetections
    const [ox, oy, oz] = unit(object.ra, object.dec)
    const [dx, dy, dz] = unit(detection.ra, detection.dec)
    const x = n * ox + dx
    const y = n * oy + dy
    const z = n * oz + dz
    object.ra = normalize(Math.atan2(y, x) / RAD)
    object.dec = Math.atan2(z, Math.hypot(x, y)) / RAD
  }
  object.nDetections += 1
  object.firstMjd = Math.min(object.firstMjd, detection.mjd)
  object.lastMjd = Math.max(object.lastMjd, detection.mjd)
  const sums = (object.fluxes[detection.filter] ??= { n: 0, sum: 0, sumWeight: 0, sumWeightedFlux: 0 })
  sums.n += 1
  sums.sum += detection.psfFlux
  if (detection.psfFluxErr > 0) {
    const weight = 1 / (detection.psfFluxErr * detection.psfFluxErr)
    sums.sumWeight += weight
    sums.sumWeightedFlux += weight * detection.psfFlux
  }
}

/** Plain and inverse-variance weighted mean flux of one filter's sums (NaN where there is nothing to average). */
export function meanFluxes(sums: FluxSums): { mean: number; weightedMean: number; weightedMeanErr: number } {
  return {
    mean: sums.n > 0 ? sums.sum / sums.n : Number.NaN,
    weightedMean: sums.sumWeight > 0 ? sums.sumWeightedFlux / sums.sumWeight : Number.NaN,
    weightedMeanErr: sums.sumWeight > 0 ? 1 / Math.sqrt(sums.sumWeight) : Number.NaN,
  }
}
