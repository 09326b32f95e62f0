import { sql } from 'kysely'
import type { Kysely, Transaction } from 'kysely'
import { ClosedError, UsageError } from '../../core/errors.js'
import type {
  AssociationOptions,
  AssociationOutcome,
  DetectionInput,
  DiaObjectRecord,
  DiaSourceRecord,
  InclusiveKeyRange,
  NewWatchlistCone,
  ObjectLedger,
  ObjectLedgerDeps,
  ObjectState,
  WatchlistCone,
  WatchlistRecord,
} from '../../core/ports/object-ledger.js'
import { splitRecorded } from '../../core/recorded-detections.js'
import type { CatalogDatabase } from './catalog-schema.js'
import { IDS_PER_QUERY, insertSources, selectRecordedObjects, selectSourcesOfEvents, toSource } from './dia-source-rows.js'
import * as watchlists from './sql-watchlists.js'
import { lockZoneOf, objectDb } from './object-schema.js'
import type { ObjectDatabase } from './object-schema.js'
import { toNumber } from './row-mappers.js'
import { toDbTimestamp } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'
import { classifyDriverError, toCatalogError } from './sql-errors.js'
import type { DriverErrorClassifier } from './sql-errors.js'

/** What the SQL catalog shares with its ObjectLedger. */
export interface ObjectLedgerBackend {
  readonly kind: SqlDialectKind
  readonly description: string
  readonly db: Kysely<CatalogDatabase>
  readonly classifyError: DriverErrorClassifier
  isClosed(): boolean
}

/** A lost deadlock or serialization race reruns the whole batch: nothing of it was committed. */
const CONTENTION_ATTEMPTS = 5
/** Key ranges closer than this many cells are read as one: fewer, slightly wider range scans. */
const RANGE_GAP_CELLS = 32
const RANGES_PER_QUERY = 100
const ROWS_PER_INSERT = 400

type Db = Kysely<ObjectDatabase>

function mergeWithGap(ranges: InclusiveKeyRange[], gap: number): InclusiveKeyRange[] {
  const sorted = ranges.slice().sort((a, b) => a.lo - b.lo)
  const merged: { lo: number; hi: number }[] = []
  for (const range of sorted) {
    const last = merged[merged.length - 1]
    if (last !== undefined && range.lo <= last.hi + gap) last.hi = Math.max(last.hi, range.hi)
    else merged.push({ lo: range.lo, hi: range.hi })
  }
  return merged
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size))
  return out
}

interface ObjectRow {
  object_id: number | string
  ra_deg: number
  dec_deg: number
  n_detections: number | string
  first_mjd: number
  last_mjd: number
  stream: string
  flux_sums: string
}

function toObject(row: ObjectRow): DiaObjectRecord {
  return {
    objectId: toNumber(row.object_id),
    ra: Number(row.ra_deg),
    dec: Number(row.dec_deg),
    nDetections: toNumber(row.n_detections),
    firstMjd: Number(row.first_mjd),
    lastMjd: Number(row.last_mjd),
    stream: row.stream,
    fluxes: JSON.parse(row.flux_sums) as DiaObjectRecord['fluxes'],
  }
}

interface ObjectValues {
  ra_deg: number
  dec_deg: number
  sky_key: number
  n_detections: number
  first_mjd: number
  last_mjd: number
  stream: string
  flux_sums: string
}

const OBJECT_COLUMNS = ['object_id', 'ra_deg', 'dec_deg', 'n_detections', 'first_mjd', 'last_mjd', 'stream', 'flux_sums'] as const

export function createSqlObjectLedger(backend: ObjectLedgerBackend, deps: ObjectLedgerDeps): ObjectLedger {
  return new SqlObjectLedger(backend, deps)
}

/**
 * The ObjectLedger on the catalog's database. Concurrency: a batch first locks the 0.1° declination bands
 * (`dia_zone_lock` rows, in ascending order) around every detection, then reads the objects near them, decides,
 * and writes, all in one transaction. Two batches that could create an object for the same source both need the
 * band holding that source, so the second waits and then reads the first one's object (read committed on the
 * servers; SQLite's BEGIN IMMEDIATE serialises writers anyway). A deadlock between bands reruns the batch.
 */
class SqlObjectLedger implements ObjectLedger {
  readonly #backend: ObjectLedgerBackend
  readonly #deps: ObjectLedgerDeps
  #consecutiveIds: Promise<boolean> | undefined

  constructor(backend: ObjectLedgerBackend, deps: ObjectLedgerDeps) {
    this.#backend = backend
    this.#deps = deps
  }

  async #run<T>(operation: string, work: (db: Db) => Promise<T>, retries = 1): Promise<T> {
    const backend = this.#backend
    for (let attempt = 1; ; attempt += 1) {
      if (backend.isClosed()) throw new ClosedError('catalog')
      try {
        return await work(objectDb(backend.db))
      } catch (error) {
        if (backend.isClosed()) throw new ClosedError('catalog')
        if (attempt < retries && classifyDriverError(error, backend.classifyError) === 'contention') continue
        throw toCatalogError(error, backend.classifyError, `objects ${operation} (${backend.description})`)
      }
    }
  }

  #transaction<T>(db: Db, work: (trx: Transaction<ObjectDatabase>) => Promise<T>): Promise<T> {
    const builder = db.transaction()
    return (this.#backend.kind === 'sqlite' ? builder : builder.setIsolationLevel('read committed')).execute(work)
  }

  associate(detections: readonly DetectionInput[], options: AssociationOptions = {}): Promise<AssociationOutcome> {
    const radiusArcsec = options.radiusArcsec ?? 1
    if (!(radiusArcsec > 0 && radiusArcsec <= 3600)) throw new UsageError(`association radius must be in (0, 3600]″, got ${radiusArcsec}`)
    for (const detection of detections) {
      if (!Number.isFinite(detection.ra) || !(Math.abs(detection.dec) <= 90) || !Number.isFinite(detection.mjd)) {
        throw new UsageError(`detection at (${detection.ra}, ${detection.dec}, MJD ${detection.mjd}) has no valid position or time`)
      }
    }
    if (detections.length === 0) return Promise.resolve({ objectIds: [], created: 0 })
    const radiusDeg = radiusArcsec / 3600
    return this.#run(
      'associate',
      (db) => this.#transaction(db, (trx) => this.#associateIn(trx, detections, radiusDeg, radiusArcsec)),
      CONTENTION_ATTEMPTS,
    )
  }

  async #associateIn(
    trx: Transaction<ObjectDatabase>,
    detections: readonly DetectionInput[],
    radiusDeg: number,
    radiusArcsec: number,
  ): Promise<AssociationOutcome> {
    await this.#lockBands(trx, detections, radiusDeg)
    // Per-image idempotency, after the band locks: a concurrent batch of the same image has committed by now (it held
    // the same bands), so its rows are seen here and replayed instead of being recorded twice.
    const { fresh, replayed } = splitRecorded(detections, await selectRecordedObjects(trx, detections))
    if (fresh.length === detections.length) return this.#associateFresh(trx, detections, radiusDeg, radiusArcsec)
    const outcome = await this.#associateFresh(
      trx,
      fresh.map((at) => detections[at]!),
      radiusDeg,
      radiusArcsec,
    )
    const objectIds = detections.map((_, at) => replayed.get(at) ?? -1)
    fresh.forEach((at, index) => (objectIds[at] = outcome.objectIds[index]!))
    return { objectIds, created: outcome.created }
  }

  async #associateFresh(
    trx: Transaction<ObjectDatabase>,
    detections: readonly DetectionInput[],
    radiusDeg: number,
    radiusArcsec: number,
  ): Promise<AssociationOutcome> {
    if (detections.length === 0) return { objectIds: [], created: 0 }
    const ranges = mergeWithGap(
      detections.flatMap((detection) => this.#deps.coneRanges(detection.ra, detection.dec, radiusDeg)),
      RANGE_GAP_CELLS,
    )
    const candidates: DiaObjectRecord[] = []
    for (const group of chunks(ranges, RANGES_PER_QUERY)) {
      const rows = await trx
        .selectFrom('dia_object')
        .select(OBJECT_COLUMNS)
        .where((eb) => eb.or(group.map((range) => eb.between('sky_key', range.lo, range.hi))))
        .execute()
      for (const row of rows) candidates.push(toObject(row))
    }
    const plan = this.#deps.associate(detections, candidates, radiusArcsec)
    const ids = await this.#writeObjects(trx, plan.objects)
    const objectIds = plan.assignment.map((at) => ids[at]!)
    await insertSources(trx, this.#backend.kind, detections, objectIds)
    return { objectIds, created: plan.objects.filter((object) => object.objectId === null).length }
  }

  /** Locks, in ascending order, every 0.1° band that a detection's cone reaches (runs of bands in one statement). */
  async #lockBands(trx: Transaction<ObjectDatabase>, detections: readonly DetectionInput[], radiusDeg: number): Promise<void> {
    const bands = new Set<number>()
    for (const detection of detections) {
      for (let band = lockZoneOf(detection.dec - radiusDeg); band <= lockZoneOf(detection.dec + radiusDeg); band++) bands.add(band)
    }
    const sorted = [...bands].sort((a, b) => a - b)
    let start = 0
    for (let at = 1; at <= sorted.length; at++) {
      if (at < sorted.length && sorted[at] === sorted[at - 1]! + 1) continue
      await trx
        .updateTable('dia_zone_lock')
        .set({ version: sql<number>`version + 1` })
        .where('zone', '>=', sorted[start]!)
        .where('zone', '<=', sorted[at - 1]!)
        .execute()
      start = at
    }
  }

  /** Inserts the new objects and updates the touched ones; returns the id of every object of the plan. */
  async #writeObjects(trx: Transaction<ObjectDatabase>, objects: readonly ObjectState[]): Promise<number[]> {
    const ids = objects.map((object) => object.objectId ?? -1)
    const fresh = objects.map((object, at) => ({ object, at })).filter(({ object }) => object.objectId === null)
    const values = (object: ObjectState): ObjectValues => ({
      ra_deg: object.ra,
      dec_deg: object.dec,
      sky_key: this.#deps.skyKey(object.ra, object.dec),
      n_detections: object.nDetections,
      first_mjd: object.firstMjd,
      last_mjd: object.lastMjd,
      stream: object.stream,
      flux_sums: JSON.stringify(object.fluxes),
    })
    const kind = this.#backend.kind
    const now = toDbTimestamp(kind, new Date())
    if (kind === 'postgres') {
      // Ids from the identity's sequence first, so rows and ids pair up without relying on RETURNING's order; then
      // every object, new and touched, in one upsert of column arrays.
      if (fresh.length > 0) {
        const { rows } = await sql<{ id: number | string }>`select nextval(pg_get_serial_sequence('dia_object', 'object_id')) as id
          from generate_series(1, ${fresh.length}::integer)`.execute(trx)
        fresh.forEach(({ at }, index) => (ids[at] = toNumber(rows[index]!.id)))
      }
      const rows = objects.map(values)
      const column = <T>(pick: (row: ObjectValues) => T): T[] => rows.map(pick)
      await sql`insert into dia_object (object_id, ra_deg, dec_deg, sky_key, n_detections, first_mjd, last_mjd, stream, flux_sums,
          created_at)
        select t.*, ${now}::timestamptz from unnest(${ids}::integer[], ${column((r) => r.ra_deg)}::float8[],
          ${column((r) => r.dec_deg)}::float8[], ${column((r) => r.sky_key)}::integer[], ${column((r) => r.n_detections)}::integer[],
          ${column((r) => r.first_mjd)}::float8[], ${column((r) => r.last_mjd)}::float8[], ${column((r) => r.stream)}::varchar[],
          ${column((r) => r.flux_sums)}::varchar[]) as t
        on conflict (object_id) do update set ra_deg = excluded.ra_deg, dec_deg = excluded.dec_deg, sky_key = excluded.sky_key,
          n_detections = excluded.n_detections, first_mjd = excluded.first_mjd, last_mjd = excluded.last_mjd,
          flux_sums = excluded.flux_sums`.execute(trx)
      return ids
    }
    for (const group of chunks(fresh, ROWS_PER_INSERT)) {
      if (kind === 'sqlite' || (await this.#mysqlConsecutiveIds(trx))) {
        const [result] = await trx
          .insertInto('dia_object')
          .values(group.map(({ object }) => ({ ...values(object), created_at: now })))
          .execute()
        // One multi-row statement numbers its rows consecutively: SQLite under its write lock (insertId is the last
        // row), MySQL/MariaDB with innodb_autoinc_lock_mode 0 or 1 (insertId is the first row).
        const reported = toNumber(result!.insertId!)
        const first = kind === 'sqlite' ? reported - group.length + 1 : reported
        group.forEach(({ at }, index) => (ids[at] = first + index))
      } else {
        for (const { object, at } of group) {
          const [result] = await trx
            .insertInto('dia_object')
            .values({ ...values(object), created_at: now })
            .execute()
          ids[at] = toNumber(result!.insertId!)
        }
      }
    }
    // Existing objects: one multi-row upsert per chunk (every row exists, so each takes the update branch) instead of
    // an UPDATE per object; the updated columns are the association's, never stream or created_at.
    const touched = objects.filter((object) => object.objectId !== null)
    const UPDATED = ['ra_deg', 'dec_deg', 'sky_key', 'n_detections', 'first_mjd', 'last_mjd', 'flux_sums'] as const
    for (const group of chunks(touched, ROWS_PER_INSERT)) {
      const insert = trx
        .insertInto('dia_object')
        .values(group.map((object) => ({ object_id: object.objectId!, ...values(object), created_at: now })))
      if (kind === 'mysql') {
        await insert.onDuplicateKeyUpdate(Object.fromEntries(UPDATED.map((column) => [column, sql`values(${sql.ref(column)})`]))).execute()
      } else {
        await insert
          .onConflict((conflict) =>
            conflict.column('object_id').doUpdateSet(Object.fromEntries(UPDATED.map((column) => [column, sql.ref(`excluded.${column}`)]))),
          )
          .execute()
      }
    }
    return ids
  }

  #mysqlConsecutiveIds(trx: Transaction<ObjectDatabase>): Promise<boolean> {
    this.#consecutiveIds ??= sql<{ mode: number | string }>`select @@innodb_autoinc_lock_mode as mode`
      .execute(trx)
      .then(({ rows }) => toNumber(rows[0]!.mode) <= 1)
      .catch(() => false)
    return this.#consecutiveIds
  }

  objects(objectIds: readonly number[]): Promise<Map<number, DiaObjectRecord>> {
    return this.#run('objects', async (db) => {
      const found = new Map<number, DiaObjectRecord>()
      for (const group of chunks([...new Set(objectIds)], IDS_PER_QUERY)) {
        const rows = await db.selectFrom('dia_object').select(OBJECT_COLUMNS).where('object_id', 'in', group).execute()
        for (const row of rows) {
          const object = toObject(row)
          found.set(object.objectId, object)
        }
      }
      return found
    })
  }

  history(objectId: number): Promise<DiaSourceRecord[]> {
    return this.#run('history', async (db) => {
      const rows = await db
        .selectFrom('dia_source')
        .selectAll()
        .where('object_id', '=', objectId)
        .orderBy('mjd')
        .orderBy('source_id')
        .execute()
      return rows.map(toSource)
    })
  }

  detectionsOfImage(imageId: number): Promise<DiaSourceRecord[]> {
    return this.#run('detectionsOfImage', async (db) =>
      (await db.selectFrom('dia_source').selectAll().where('image_id', '=', imageId).orderBy('source_id').execute()).map(toSource),
    )
  }

  detectionsOfEvents(imageEventIds: readonly number[]): Promise<Map<number, DiaSourceRecord[]>> {
    return this.#run('detectionsOfEvents', (db) => selectSourcesOfEvents(db, imageEventIds))
  }

  objectsNear(ra: number, dec: number, radiusArcsec: number): Promise<DiaObjectRecord[]> {
    return this.#run('objectsNear', async (db) => {
      const ranges = this.#deps.coneRanges(ra, dec, radiusArcsec / 3600)
      const rows = await db
        .selectFrom('dia_object')
        .select(OBJECT_COLUMNS)
        .where((eb) => eb.or(ranges.map((range) => eb.between('sky_key', range.lo, range.hi))))
        .execute()
      const found = rows.map(toObject).map((object) => ({ object, distance: watchlists.distanceArcsec(ra, dec, object.ra, object.dec) }))
      return found
        .filter(({ distance }) => distance <= radiusArcsec)
        .sort((a, b) => a.distance - b.distance || a.object.objectId - b.object.objectId)
        .map(({ object }) => object)
    })
  }

  addWatchlist(name: string, cones: readonly NewWatchlistCone[]): Promise<WatchlistRecord> {
    if (cones.length === 0) throw new UsageError(`watchlist ${name}: no cones`)
    return this.#run('addWatchlist', (db) => watchlists.insertWatchlist(db, this.#backend.kind, this.#deps, name, cones))
  }

  listWatchlists(): Promise<WatchlistRecord[]> {
    return this.#run('listWatchlists', (db) => watchlists.selectWatchlists(db))
  }

  removeWatchlist(which: number | string): Promise<boolean> {
    return this.#run('removeWatchlist', (db) => watchlists.deleteWatchlist(db, which))
  }

  watchlistCones(): Promise<WatchlistCone[]> {
    return this.#run('watchlistCones', (db) => watchlists.selectCones(db))
  }

  matchWatchlists(ra: number, dec: number): Promise<WatchlistCone[]> {
    return this.#run('matchWatchlists', (db) => watchlists.selectMatchingCones(db, this.#deps, ra, dec))
  }
}
