import { CatalogConflictError, UsageError } from '../../core/errors.js'
import { splitRecorded } from '../../core/recorded-detections.js'
import type {
  AssociationOptions,
  AssociationOutcome,
  DetectionInput,
  DiaObjectRecord,
  DiaSourceRecord,
  NewWatchlistCone,
  ObjectLedger,
  ObjectLedgerDeps,
  WatchlistCone,
  WatchlistRecord,
} from '../../core/ports/object-ledger.js'

const ARCSEC = 1 / 3600
const RAD = Math.PI / 180

/** Great-circle distance in degrees (Vincenty), as the sky index's: adapters cannot import analysis. */
function distanceDeg(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const dra = (ra2 - ra1) * RAD
  const [s1, c1, s2, c2] = [Math.sin(dec1 * RAD), Math.cos(dec1 * RAD), Math.sin(dec2 * RAD), Math.cos(dec2 * RAD)]
  const a = c2 * Math.sin(dra)
  const b = c1 * s2 - s1 * c2 * Math.cos(dra)
  return Math.atan2(Math.hypot(a, b), s1 * s2 + c1 * c2 * Math.cos(dra)) / RAD
}

function copySource(source: DiaSourceRecord): DiaSourceRecord {
  return { ...source }
}

function copyObject(object: DiaObjectRecord): DiaObjectRecord {
  const fluxes: DiaObjectRecord['fluxes'] = {}
  for (const [filter, sums] of Object.entries(object.fluxes)) fluxes[filter] = { ...sums }
  return { ...object, fluxes }
}

/**
 * The ObjectLedger in memory, for tests and single-process runs: objects in a map by sky key. A batch runs
 * synchronously from look-up to write, so concurrent callers in one process cannot interleave inside it.
 */
export function createMemoryObjectLedger(deps: ObjectLedgerDeps): ObjectLedger {
  const objects = new Map<number, DiaObjectRecord>()
  const byKey = new Map<number, Set<number>>()
  const sources: DiaSourceRecord[] = []
  const watchlists = new Map<number, WatchlistRecord>()
  let cones: WatchlistCone[] = []
  let nextObject = 1
  let nextSource = 1
  let nextWatchlist = 1
  let nextCone = 1

  const keyed = (object: DiaObjectRecord, add: boolean): void => {
    const key = deps.skyKey(object.ra, object.dec)
    let set = byKey.get(key)
    if (set === undefined) byKey.set(key, (set = new Set()))
    if (add) set.add(object.objectId)
    else set.delete(object.objectId)
  }

  const near = (ra: number, dec: number, radiusDeg: number): DiaObjectRecord[] => {
    const found: DiaObjectRecord[] = []
    for (const range of deps.coneRanges(ra, dec, radiusDeg)) {
      for (let key = range.lo; key <= range.hi; key++) {
        for (const id of byKey.get(key) ?? []) {
          const object = objects.get(id)!
          if (distanceDeg(ra, dec, object.ra, object.dec) <= radiusDeg) found.push(object)
        }
      }
    }
    return found
  }

  /** The association proper, for detections of images not recorded yet. */
  const associateFresh = async (detections: readonly DetectionInput[], radiusArcsec: number): Promise<AssociationOutcome> => {
    const candidates = new Map<number, DiaObjectRecord>()
    for (const detection of detections) {
      for (const object of near(detection.ra, detection.dec, radiusArcsec * ARCSEC)) candidates.set(object.objectId, copyObject(object))
    }
    const plan = deps.associate(detections, [...candidates.values()], radiusArcsec)
    let created = 0
    const ids = plan.objects.map((state) => {
      if (state.objectId !== null) {
        keyed(objects.get(state.objectId)!, false)
        const updated = { ...state, objectId: state.objectId }
        objects.set(state.objectId, updated)
        keyed(updated, true)
        return state.objectId
      }
      created += 1
      const made = { ...state, objectId: nextObject++ }
      objects.set(made.objectId, made)
      keyed(made, true)
      return made.objectId
    })
    const objectIds = plan.assignment.map((at) => ids[at]!)
    detections.forEach((detection, index) =>
      sources.push({ ...detection, imageEventId: detection.imageEventId ?? null, sourceId: nextSource++, objectId: objectIds[index]! }),
    )
    return { objectIds, created }
  }

  return {
    async associate(detections: readonly DetectionInput[], options: AssociationOptions = {}): Promise<AssociationOutcome> {
      const radiusArcsec = options.radiusArcsec ?? 1
      const images = new Set(detections.map((detection) => detection.imageId))
      const recorded = new Map<number, number[]>()
      for (const source of sources) {
        if (source.imageId === null || !images.has(source.imageId)) continue
        const ids = recorded.get(source.imageId)
        if (ids === undefined) recorded.set(source.imageId, [source.objectId])
        else ids.push(source.objectId)
      }
      const { fresh, replayed } = splitRecorded(detections, recorded)
      const outcome = await associateFresh(
        fresh.map((at) => detections[at]!),
        radiusArcsec,
      )
      const objectIds = detections.map((_, at) => replayed.get(at) ?? -1)
      fresh.forEach((at, index) => (objectIds[at] = outcome.objectIds[index]!))
      return { objectIds, created: outcome.created }
    },

    async objects(objectIds) {
      const found = new Map<number, DiaObjectRecord>()
      for (const id of objectIds) {
        const object = objects.get(id)
        if (object !== undefined) found.set(id, copyObject(object))
      }
      return found
    },

    async history(objectId) {
      return sources.filter((source) => source.objectId === objectId).sort((a, b) => a.mjd - b.mjd || a.sourceId - b.sourceId)
    },

    async detectionsOfImage(imageId) {
      return sources.filter((source) => source.imageId === imageId).map(copySource)
    },

    async detectionsOfEvents(imageEventIds) {
      const found = new Map<number, DiaSourceRecord[]>(imageEventIds.map((id) => [id, []]))
      // Sources are appended in id order, so each list comes out in source-id order.
      for (const source of sources) {
        if (source.imageEventId === null || source.imageEventId === undefined) continue
        found.get(source.imageEventId)?.push(copySource(source))
      }
      return found
    },

    async objectsNear(ra, dec, radiusArcsec) {
      const distance = (object: DiaObjectRecord): number => distanceDeg(ra, dec, object.ra, object.dec)
      return near(ra, dec, radiusArcsec * ARCSEC)
        .sort((a, b) => distance(a) - distance(b) || a.objectId - b.objectId)
        .map(copyObject)
    },

    async addWatchlist(name: string, newCones: readonly NewWatchlistCone[]) {
      if ([...watchlists.values()].some((list) => list.name === name)) throw new CatalogConflictError(`a watchlist named ${name} exists`)
      if (newCones.length === 0) throw new UsageError(`watchlist ${name}: no cones`)
      const record: WatchlistRecord = { watchlistId: nextWatchlist++, name, cones: newCones.length, createdAt: new Date() }
      watchlists.set(record.watchlistId, record)
      cones = cones.concat(newCones.map((cone) => ({ ...cone, coneId: nextCone++, watchlistId: record.watchlistId, watchlist: name })))
      return { ...record }
    },

    async listWatchlists() {
      return [...watchlists.values()].sort((a, b) => a.name.localeCompare(b.name)).map((list) => ({ ...list }))
    },

    async removeWatchlist(which) {
      const found = [...watchlists.values()].find((list) => (typeof which === 'number' ? list.watchlistId === which : list.name === which))
      if (found === undefined) return false
      watchlists.delete(found.watchlistId)
      cones = cones.filter((cone) => cone.watchlistId !== found.watchlistId)
      return true
    },

    async watchlistCones() {
      return cones.map((cone) => ({ ...cone }))
    },

    async matchWatchlists(ra, dec) {
      return cones.filter((cone) => distanceDeg(ra, dec, cone.ra, cone.dec) * 3600 <= cone.radiusArcsec).map((cone) => ({ ...cone }))
    },
  }
}
