import type { Insertable, Kysely, Transaction } from 'kysely'
import { ClosedError, NotFoundError, UsageError } from '../../core/errors.js'
import type {
  DerivativeRecord,
  DiffimRun,
  DiffimRunRecord,
  EventTypeRecord,
  FakeRecord,
  FakeRecoveryFilter,
  NewDerivative,
  ReferenceFinish,
  ReferenceKey,
  ReferenceRecord,
  ScienceLedger,
} from '../../core/ports/science-ledger.js'
import type { CatalogDatabase } from './catalog-schema.js'
import { toDate, toNumber, toNumberOrNull } from './row-mappers.js'
import {
  byField,
  checkKey,
  checkLength,
  compareText,
  FAKE_COLUMNS,
  MAX_PSF_METHOD,
  REFERENCE_COLUMNS,
  toFake,
  toReference,
} from './science-rows.js'
import { scienceDb } from './science-schema.js'
import type { ScienceDatabase } from './science-schema.js'
import { toDbTimestamp } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'
import { classifyDriverError, toCatalogError } from './sql-errors.js'
import type { DriverErrorClassifier } from './sql-errors.js'

/** What the SQL catalog shares with its ScienceLedger. */
export interface ScienceLedgerBackend {
  readonly kind: SqlDialectKind
  readonly description: string
  readonly db: Kysely<CatalogDatabase>
  readonly classifyError: DriverErrorClassifier
  isClosed(): boolean
}

type Db = Kysely<ScienceDatabase>

/** Every write is idempotent: a deadlock or serialization victim runs again and finds or writes the same rows. */
const CONTENTION_ATTEMPTS = 3
const ROWS_PER_INSERT = 400

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size))
  return out
}

export function createSqlScienceLedger(backend: ScienceLedgerBackend): ScienceLedger {
  return new SqlScienceLedger(backend)
}

/**
 * The ScienceLedger on the catalog's database, one module for the three dialects. Idempotency comes from the
 * natural keys (`diffim_run.image_id`, `reference_image (stream, field, filter, version)`,
 * `image_event_derivative_image (image_event_id, name)`) with the dialect's on-conflict-do-nothing, as the catalog's
 * other writes; a batch is one transaction.
 *
 * A reference claim is decided by the unique version key: two processes that both read "no claim, latest version
 * n" both insert version n + 1 and the second insert finds the first one's row (it waits for its commit on the
 * servers; SQLite serialises writers), does nothing, and returns null. Taking over a stale claim is one UPDATE
 * whose WHERE repeats the staleness test, so of two processes the second finds the claim fresh again (read
 * committed re-reads the row it waited for) and returns null. Claim ages come from each process's clock.
 */
class SqlScienceLedger implements ScienceLedger {
  readonly #backend: ScienceLedgerBackend

  constructor(backend: ScienceLedgerBackend) {
    this.#backend = backend
  }

  async #run<T>(operation: string, work: (db: Db) => Promise<T>): Promise<T> {
    const backend = this.#backend
    for (let attempt = 1; ; attempt += 1) {
      if (backend.isClosed()) throw new ClosedError('catalog')
      try {
        return await work(scienceDb(backend.db))
      } catch (error) {
        if (backend.isClosed()) throw new ClosedError('catalog')
        if (attempt < CONTENTION_ATTEMPTS && classifyDriverError(error, backend.classifyError) === 'contention') continue
        throw toCatalogError(error, backend.classifyError, `science ${operation} (${backend.description})`)
      }
    }
  }

  #timestamp(date: Date): Date | string {
    return toDbTimestamp(this.#backend.kind, date)
  }

  eventTypes(): Promise<EventTypeRecord[]> {
    return this.#run('eventTypes', async (db) => {
      const rows = await db.selectFrom('image_event_type').select(['name', 'description']).execute()
      return rows.map((row) => ({ name: row.name, description: row.description })).sort((a, b) => compareText(a.name, b.name))
    })
  }

  latestReference(key: ReferenceKey): Promise<ReferenceRecord | null> {
    return this.#run('latestReference', async (db) => {
      const row = await this.#fieldQuery(db, key).where('status', '=', 'ready').orderBy('version', 'desc').limit(1).executeTakeFirst()
      return row === undefined ? null : toReference(row)
    })
  }

  getReference(referenceId: number): Promise<ReferenceRecord | null> {
    return this.#run('getReference', async (db) => {
      const row = await db
        .selectFrom('reference_image')
        .select(REFERENCE_COLUMNS)
        .where('reference_id', '=', referenceId)
        .executeTakeFirst()
      return row === undefined ? null : toReference(row)
    })
  }

  listReferences(stream?: string): Promise<ReferenceRecord[]> {
    return this.#run('listReferences', async (db) => {
      const rows = await db
        .selectFrom('reference_image')
        .select(REFERENCE_COLUMNS)
        .$if(stream !== undefined, (query) => query.where('stream', '=', stream!))
        .execute()
      return rows.map(toReference).sort(byField)
    })
  }

  #fieldQuery(db: Db, key: ReferenceKey) {
    return db
      .selectFrom('reference_image')
      .select(REFERENCE_COLUMNS)
      .where('stream', '=', key.stream)
      .where('field', '=', key.field)
      .where('filter', '=', key.filter)
  }

  claimReference(key: ReferenceKey, staleMs: number): Promise<ReferenceRecord | null> {
    if (!(staleMs >= 0)) throw new UsageError(`reference claim: stale age must be ≥ 0 ms, got ${staleMs}`)
    checkKey(key)
    return this.#run('claimReference', async (db) => {
      const now = new Date()
      const staleBefore = this.#timestamp(new Date(now.getTime() - staleMs))
      const rows = await db
        .selectFrom('reference_image')
        .select(['reference_id', 'version', 'status'])
        .where('stream', '=', key.stream)
        .where('field', '=', key.field)
        .where('filter', '=', key.filter)
        .execute()
      const building = rows.find((row) => row.status === 'building')
      if (building !== undefined) {
        const result = await db
          .updateTable('reference_image')
          .set({ claimed_at: this.#timestamp(now) })
          .where('reference_id', '=', toNumber(building.reference_id))
          .where('status', '=', 'building')
          .where('claimed_at', '<', staleBefore)
          .executeTakeFirst()
        if (Number(result.numUpdatedRows) !== 1) return null
        return this.#referenceIn(db, toNumber(building.reference_id))
      }
      const version = Math.max(0, ...rows.map((row) => toNumber(row.version))) + 1
      const insert = db.insertInto('reference_image').values({
        ...key,
        version,
        status: 'building',
        object_key: null,
        frames: 0,
        fwhm: null,
        image_ids: '[]',
        claimed_at: this.#timestamp(now),
        created_at: this.#timestamp(now),
      })
      const result =
        this.#backend.kind === 'mysql'
          ? await insert.ignore().executeTakeFirst()
          : await insert.onConflict((conflict) => conflict.columns(['stream', 'field', 'filter', 'version']).doNothing()).executeTakeFirst()
      if (Number(result.numInsertedOrUpdatedRows ?? 0) !== 1) return null
      const made = await this.#fieldQuery(db, key).where('version', '=', version).executeTakeFirstOrThrow()
      return toReference(made)
    })
  }

  async #referenceIn(db: Db | Transaction<ScienceDatabase>, referenceId: number): Promise<ReferenceRecord> {
    const row = await db.selectFrom('reference_image').select(REFERENCE_COLUMNS).where('reference_id', '=', referenceId).executeTakeFirst()
    if (row === undefined) throw new NotFoundError(`reference ${referenceId} does not exist`)
    return toReference(row)
  }

  finishReference(referenceId: number, finish: ReferenceFinish): Promise<ReferenceRecord> {
    return this.#run('finishReference', async (db) => {
      // Only a claim is finished: the first finish wins, and a repeat returns what it recorded.
      await db
        .updateTable('reference_image')
        .set({
          status: 'ready',
          object_key: finish.objectKey,
          frames: finish.frames,
          fwhm: finish.fwhm,
          image_ids: JSON.stringify(finish.imageIds),
        })
        .where('reference_id', '=', referenceId)
        .where('status', '=', 'building')
        .execute()
      return this.#referenceIn(db, referenceId)
    })
  }

  recordDiffimRuns(runs: readonly DiffimRun[]): Promise<void> {
    for (const run of runs) checkLength(`psf method of image ${run.imageId}`, run.psfMethod, MAX_PSF_METHOD)
    if (runs.length === 0) return Promise.resolve()
    return this.#run('recordDiffimRuns', (db) =>
      db.transaction().execute(async (trx) => {
        const wanted = [...new Set(runs.map((run) => run.referenceId))]
        const found = new Set(
          (await trx.selectFrom('reference_image').select('reference_id').where('reference_id', 'in', wanted).execute()).map((row) =>
            toNumber(row.reference_id),
          ),
        )
        const unknown = runs.find((run) => !found.has(run.referenceId))
        if (unknown !== undefined) {
          throw new NotFoundError(`diffim run of image ${unknown.imageId}: reference ${unknown.referenceId} does not exist`)
        }
        const createdAt = this.#timestamp(new Date())
        const fakes: Insertable<ScienceDatabase['diffim_fake']>[] = []
        // One run at a time: whether each was inserted decides whether its fakes are, and a multi-row insert does not
        // say which rows it skipped on MySQL. A batch is a handful of images. MySQL's INSERT IGNORE, not a no-op ON
        // DUPLICATE KEY UPDATE: mysql2 connects with CLIENT_FOUND_ROWS, under which that counts the duplicate as 1 row;
        // the values are checked before (checkLength), so IGNORE has nothing else to swallow.
        // In image order, so that two batches over the same images wait for each other instead of deadlocking.
        for (const run of [...runs].sort((a, b) => a.imageId - b.imageId)) {
          const insert = trx.insertInto('diffim_run').values({
            image_id: run.imageId,
            reference_id: run.referenceId,
            psf_method: run.psfMethod,
            science_fwhm: run.scienceFwhm,
            reference_fwhm: run.referenceFwhm,
            noise_correction: run.noiseCorrection,
            candidates: run.candidates,
            detections: run.detections,
            seconds: run.seconds,
            created_at: createdAt,
          })
          const result =
            this.#backend.kind === 'mysql'
              ? await insert.ignore().executeTakeFirst()
              : await insert.onConflict((conflict) => conflict.column('image_id').doNothing()).executeTakeFirst()
          if (Number(result.numInsertedOrUpdatedRows ?? 0) !== 1) continue
          for (const fake of run.fakes) {
            fakes.push({
              image_id: run.imageId,
              x: fake.x,
              y: fake.y,
              flux: fake.flux,
              mag: fake.mag,
              expected_snr: fake.expectedSnr,
              recovered: fake.recovered ? 1 : 0,
              measured_flux: fake.measuredFlux,
            })
          }
        }
        for (const group of chunks(fakes, ROWS_PER_INSERT)) {
          await trx.insertInto('diffim_fake').values(group).execute()
        }
      }),
    )
  }

  getDiffimRun(imageId: number): Promise<DiffimRunRecord | null> {
    return this.#run('getDiffimRun', async (db) => {
      const run = await db
        .selectFrom('diffim_run as r')
        .innerJoin('reference_image as ref', 'ref.reference_id', 'r.reference_id')
        .selectAll('r')
        .select('ref.stream')
        .where('r.image_id', '=', imageId)
        .executeTakeFirst()
      if (run === undefined) return null
      const fakes = await db
        .selectFrom('diffim_fake as f')
        .select(FAKE_COLUMNS)
        .where('f.image_id', '=', imageId)
        .orderBy('f.fake_id')
        .execute()
      return {
        imageId: toNumber(run.image_id),
        referenceId: toNumber(run.reference_id),
        psfMethod: run.psf_method,
        scienceFwhm: Number(run.science_fwhm),
        referenceFwhm: Number(run.reference_fwhm),
        noiseCorrection: Number(run.noise_correction),
        candidates: toNumber(run.candidates),
        detections: toNumber(run.detections),
        seconds: Number(run.seconds),
        fakes: fakes.map(toFake),
        stream: run.stream,
        createdAt: toDate(run.created_at),
      }
    })
  }

  fakeRecoveries(filter: FakeRecoveryFilter): Promise<(FakeRecord & { imageId: number; stream: string })[]> {
    return this.#run('fakeRecoveries', async (db) => {
      const rows = await db
        .selectFrom('diffim_fake as f')
        .innerJoin('diffim_run as r', 'r.image_id', 'f.image_id')
        .innerJoin('reference_image as ref', 'ref.reference_id', 'r.reference_id')
        .select([...FAKE_COLUMNS, 'ref.stream'])
        .$if(filter.stream !== undefined, (query) => query.where('ref.stream', '=', filter.stream!))
        .$if(filter.since !== undefined, (query) => query.where('r.created_at', '>=', this.#timestamp(filter.since!)))
        .orderBy('f.image_id')
        .orderBy('f.fake_id')
        .execute()
      return rows.map((row) => ({ ...toFake(row), imageId: toNumber(row.image_id), stream: row.stream }))
    })
  }

  recordDerivatives(derivatives: readonly NewDerivative[]): Promise<void> {
    for (const derivative of derivatives) {
      if (derivative.name === '') throw new UsageError(`derivative of event ${derivative.imageEventId}: empty name`)
    }
    if (derivatives.length === 0) return Promise.resolve()
    return this.#run('recordDerivatives', (db) =>
      db.transaction().execute(async (trx) => {
        // In key order, so that two batches over the same keys wait for each other instead of deadlocking.
        const sorted = [...derivatives].sort((a, b) => a.imageEventId - b.imageEventId || compareText(a.name, b.name))
        for (const group of chunks(sorted, ROWS_PER_INSERT)) {
          const insert = trx.insertInto('image_event_derivative_image').values(
            group.map((derivative) => ({
              image_event_id: derivative.imageEventId,
              name: derivative.name,
              object_key: derivative.objectKey,
              content_type: derivative.contentType,
              source_id: derivative.sourceId,
            })),
          )
          if (this.#backend.kind === 'mysql') {
            await insert.onDuplicateKeyUpdate((eb) => ({ derivative_id: eb.ref('derivative_id') })).execute()
          } else {
            await insert.onConflict((conflict) => conflict.columns(['image_event_id', 'name']).doNothing()).execute()
          }
        }
      }),
    )
  }

  listDerivatives(imageEventId: number): Promise<DerivativeRecord[]> {
    return this.#run('listDerivatives', async (db) => {
      const rows = await db.selectFrom('image_event_derivative_image').selectAll().where('image_event_id', '=', imageEventId).execute()
      return rows
        .map((row) => ({
          derivativeId: toNumber(row.derivative_id),
          imageEventId: toNumber(row.image_event_id),
          name: row.name,
          objectKey: row.object_key,
          contentType: row.content_type,
          sourceId: toNumberOrNull(row.source_id),
        }))
        .sort((a, b) => compareText(a.name, b.name))
    })
  }
}
