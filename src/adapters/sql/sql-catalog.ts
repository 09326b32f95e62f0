import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import { ClosedError, InternalError, NotFoundError } from '../../core/errors.js'
import { CATALOG_TABLES } from '../../core/ports/catalog.js'
import type {
  AlertListFilter,
  AnalysisWrite,
  AnalysisWriteOutcome,
  Catalog,
  CatalogTable,
  IngestedLookup,
  Page,
  ReanalysisFilter,
  StreamActivity,
  StreamListOptions,
  StreamSummary,
} from '../../core/ports/catalog.js'
import type { AlertRecord, AlertView, ImageEventRecord, ImageRecord, ImageStatus, NewImage, PipelineCounts } from '../../core/types.js'
import type { Subscriptions } from '../../core/ports/subscriptions.js'
import type { ObjectLedger, ObjectLedgerDeps } from '../../core/ports/object-ledger.js'
import { createSqlObjectLedger } from './sql-object-ledger.js'
import type { ScienceLedger } from '../../core/ports/science-ledger.js'
import { createSqlScienceLedger } from './sql-science-ledger.js'
import { SCIENCE_DATA_TABLES, scienceDb } from './science-schema.js'
import { dropCatalog, migrateCatalog } from './catalog-migrations.js'
import { createSqlSubscriptions } from './sql-subscriptions.js'
import { deliveryDb } from './subscription-schema.js'
import { selectAlertViews, selectCounts, selectTableCounts, selectTableRows } from './catalog-reports.js'
import type { CatalogDatabase } from './catalog-schema.js'
import { selectStreamSummaries } from './catalog-stream-index.js'
import { selectStreamActivity } from './catalog-streams.js'
import { assertUpdated, selectEventByImageId } from './catalog-writes.js'
import * as analysisWrites from './catalog-analysis-writes.js'
import * as claims from './catalog-claims.js'
import * as imageBatch from './catalog-image-batch.js'
import { MAX_CHANNELS, MAX_ERROR_CODE, MAX_ERROR_MESSAGE, truncate } from './column-limits.js'
import * as alertWrites from './catalog-alert-writes.js'
import * as recovery from './catalog-recovery.js'
import { toEventRecord, toImageRecord, toNumber } from './row-mappers.js'
import { toDbTimestamp } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'
import { classifyDriverError, toCatalogError } from './sql-errors.js'
import type { DriverErrorClassifier } from './sql-errors.js'

/** What an adapter hands the shared query module: a configured Kysely and its driver's error codes. */
export interface SqlBackend {
  readonly kind: SqlDialectKind
  /** Location without credentials. */
  readonly description: string
  readonly db: Kysely<CatalogDatabase>
  readonly classifyError: DriverErrorClassifier
  /** Releases the connections (or the adapter's share of them). */
  release(): Promise<void>
}

/** The Catalog of the three SQL adapters, with what only a SQL catalog can offer: the dialect. */
export interface SqlCatalog extends Catalog {
  readonly dialect: SqlDialectKind
  /** Subscribers, subscriptions and alert receivers, on the same database. */
  readonly subscriptions: Subscriptions
  /** Objects, their detections and watchlists, on the same database (the pure sky functions injected). */
  objectLedger(deps: ObjectLedgerDeps): ObjectLedger
  /** References, difference-imaging runs, derivative images and event types, on the same database. */
  scienceLedger(): ScienceLedger
}

/** Immediate retries of an idempotent write that lost a deadlock or serialization race. */
const CONTENTION_ATTEMPTS = 3

function pageLimit(page: Page | { limit: number }): number {
  if (!Number.isSafeInteger(page.limit) || page.limit < 0) {
    throw new InternalError(`page limit must be a non-negative integer, got ${page.limit}`)
  }
  return page.limit
}

export function createSqlCatalog(backend: SqlBackend): SqlCatalog {
  return new SqlCatalogImpl(backend)
}

class SqlCatalogImpl implements SqlCatalog {
  readonly description: string
  readonly dialect: SqlDialectKind
  readonly subscriptions: Subscriptions
  readonly #backend: SqlBackend
  #closed = false

  constructor(backend: SqlBackend) {
    this.#backend = backend
    this.description = backend.description
    this.dialect = backend.kind
    this.subscriptions = createSqlSubscriptions({ ...backend, isClosed: () => this.#closed })
  }

  objectLedger(deps: ObjectLedgerDeps): ObjectLedger {
    return createSqlObjectLedger({ ...this.#backend, isClosed: () => this.#closed }, deps)
  }

  scienceLedger(): ScienceLedger {
    return createSqlScienceLedger({ ...this.#backend, isClosed: () => this.#closed })
  }

  /** Every public method runs here: closed check and mapping of driver errors to ours. */
  async #run<T>(operation: string, work: (db: Kysely<CatalogDatabase>) => Promise<T>): Promise<T> {
    if (this.#closed) throw new ClosedError('catalog')
    try {
      return await work(this.#backend.db)
    } catch (error) {
      // An operation still running when close() destroyed the pool: report the shutdown, not a driver error.
      if (this.#closed) throw new ClosedError('catalog')
      throw toCatalogError(error, this.#backend.classifyError, `catalog ${operation} (${this.description})`)
    }
  }

  /** For idempotent writes only: a deadlock victim simply runs again and finds or writes the same row. */
  async #runIdempotent<T>(operation: string, work: (db: Kysely<CatalogDatabase>) => Promise<T>): Promise<T> {
    return this.#run(operation, async (db) => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await work(db)
        } catch (error) {
          if (attempt >= CONTENTION_ATTEMPTS || classifyDriverError(error, this.#backend.classifyError) !== 'contention') throw error
        }
      }
    })
  }

  #timestamp(date: Date): Date | string {
    return toDbTimestamp(this.dialect, date)
  }

  async migrate(): Promise<string[]> {
    return this.#run('migrate', (db) => migrateCatalog(db as Kysely<unknown>, this.dialect))
  }

  async ping(): Promise<void> {
    await this.#run('ping', (db) => sql`select 1`.execute(db))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#backend.release()
  }

  insertImages(images: readonly NewImage[]): Promise<ImageRecord[]> {
    return this.#runIdempotent('insertImages', (db) => imageBatch.insertImages(db, this.dialect, images))
  }

  finishStoringImages(imageIds: readonly number[], status: 'received' | 'failed'): Promise<ImageRecord[]> {
    return this.#run('finishStoringImages', (db) => imageBatch.finishStoringImages(db, imageIds, status))
  }

  findIngestedImages(lookups: readonly IngestedLookup[]): Promise<ImageRecord[]> {
    return this.#run('findIngestedImages', (db) => imageBatch.findIngestedImages(db, lookups))
  }

  assignImageNum(imageId: number, stream: string, imageNum: number): Promise<ImageRecord> {
    return this.#run('assignImageNum', (db) => claims.assignImageNum(db, imageId, stream, imageNum))
  }

  listUnnumberedImages(stream: string, page: Page): Promise<ImageRecord[]> {
    return this.#run('listUnnumberedImages', (db) => claims.listUnnumberedImages(db, stream, { ...page, limit: pageLimit(page) }))
  }

  listEventsWithoutKey(page: Page): Promise<ImageEventRecord[]> {
    return this.#run('listEventsWithoutKey', (db) => claims.listEventsWithoutKey(db, { ...page, limit: pageLimit(page) }))
  }

  nextImageNum(stream: string): Promise<number> {
    return this.#run('nextImageNum', async (db) => {
      const row = await db
        .selectFrom('image_metadata')
        .select((eb) => eb.fn.max('image_num').as('last'))
        .where('stream', '=', stream)
        .executeTakeFirst()
      return (row?.last === null || row?.last === undefined ? 0 : toNumber(row.last)) + 1
    })
  }

  findUnreadFile(stream: string, imageFilename: string): Promise<ImageRecord | null> {
    return this.#run('findUnreadFile', (db) => recovery.selectUnreadFile(db, stream, imageFilename))
  }

  resetForReanalysis(filter: ReanalysisFilter): Promise<number> {
    return this.#run('resetForReanalysis', (db) => recovery.resetImagesForReanalysis(db, filter))
  }

  listFailedImages(limit: number): Promise<ImageRecord[]> {
    return this.#run('listFailedImages', (db) => recovery.selectFailedImages(db, limit))
  }

  getImage(imageId: number): Promise<ImageRecord | null> {
    return this.#run('getImage', async (db) => {
      const row = await db.selectFrom('image_metadata').selectAll().where('image_id', '=', imageId).executeTakeFirst()
      return row === undefined ? null : toImageRecord(row)
    })
  }

  findPreviousImage(stream: string, imageNum: number): Promise<ImageRecord | null> {
    return this.#run('findPreviousImage', async (db) => {
      const row = await db
        .selectFrom('image_metadata')
        .selectAll()
        .where('stream', '=', stream)
        .where('image_num', '<', imageNum)
        .where('status', '<>', 'failed')
        .orderBy('image_num', 'desc')
        .limit(1)
        .executeTakeFirst()
      return row === undefined ? null : toImageRecord(row)
    })
  }

  getImageWithPrevious(imageId: number): Promise<{ image: ImageRecord; previous: ImageRecord | null } | null> {
    return this.#run('getImageWithPrevious', (db) => analysisWrites.selectImageWithPrevious(db, imageId))
  }

  recordAnalyses(writes: readonly AnalysisWrite[]): Promise<AnalysisWriteOutcome[]> {
    return this.#runIdempotent('recordAnalyses', (db) => analysisWrites.recordAnalyses(db, this.dialect, writes))
  }

  setEventDifferenceKeys(keys: readonly { imageEventId: number; differenceImageObjectKey: string }[]): Promise<ImageEventRecord[]> {
    return this.#run('setEventDifferenceKeys', (db) => analysisWrites.setEventDifferenceKeys(db, keys))
  }

  markImageFailed(imageId: number, errorCode: string, errorMessage: string): Promise<void> {
    return this.#run('markImageFailed', async (db) => {
      const updated = await db
        .updateTable('image_metadata')
        .set({
          status: 'failed',
          error_code: truncate(errorCode, MAX_ERROR_CODE),
          error_message: truncate(errorMessage, MAX_ERROR_MESSAGE),
        })
        .where('image_id', '=', imageId)
        .executeTakeFirst()
      await assertUpdated(db, updated.numUpdatedRows, 'image_metadata', imageId)
    })
  }

  getEvent(imageEventId: number): Promise<ImageEventRecord | null> {
    return this.#run('getEvent', async (db) => {
      const row = await db.selectFrom('image_event').selectAll().where('image_event_id', '=', imageEventId).executeTakeFirst()
      return row === undefined ? null : toEventRecord(row)
    })
  }

  getEventByImageId(imageId: number): Promise<ImageEventRecord | null> {
    return this.#run('getEventByImageId', async (db) => {
      const row = await selectEventByImageId(db, imageId)
      return row === undefined ? null : toEventRecord(row)
    })
  }

  getEventsWithImages(imageEventIds: readonly number[]): Promise<{ event: ImageEventRecord; image: ImageRecord }[]> {
    return this.#run('getEventsWithImages', (db) => alertWrites.selectEventsWithImages(db, imageEventIds))
  }

  insertAlerts(imageEventIds: readonly number[], createdAt: Date): Promise<{ alert: AlertRecord; created: boolean }[]> {
    return this.#runIdempotent('insertAlerts', (db) => alertWrites.insertAlerts(db, this.dialect, imageEventIds, createdAt))
  }

  markAlertsDelivered(imageEventAlertIds: readonly number[], channels: string[], deliveredAt: Date): Promise<void> {
    const channelList = truncate(channels.join(','), MAX_CHANNELS)
    return this.#run('markAlertsDelivered', (db) =>
      alertWrites.markAlertsDelivered(db, imageEventAlertIds, this.#timestamp(deliveredAt), channelList),
    )
  }

  listImagesByStatus(status: ImageStatus, page: Page): Promise<ImageRecord[]> {
    return this.#run('listImagesByStatus', (db) => recovery.selectImagesByStatus(db, status, { ...page, limit: pageLimit(page) }))
  }

  listEventsWithoutAlert(page: Page): Promise<ImageEventRecord[]> {
    return this.#run('listEventsWithoutAlert', (db) => recovery.selectEventsWithoutAlert(db, { ...page, limit: pageLimit(page) }))
  }

  listUndeliveredAlerts(page: Page): Promise<AlertRecord[]> {
    return this.#run('listUndeliveredAlerts', (db) => recovery.selectUndeliveredAlerts(db, { ...page, limit: pageLimit(page) }))
  }

  getAlertView(imageEventAlertId: number): Promise<AlertView | null> {
    return this.#run('getAlertView', async (db) => {
      const views = await selectAlertViews(db, (query) => query.where('a.image_event_alert_id', '=', imageEventAlertId))
      return views[0] ?? null
    })
  }

  streamActivity(stream: string, options: { limit: number; since: Date }): Promise<StreamActivity> {
    return this.#run('streamActivity', (db) => selectStreamActivity(db, this.dialect, stream, { ...options, limit: pageLimit(options) }))
  }

  listAlertViews(options: { limit: number; beforeId?: number } & AlertListFilter): Promise<AlertView[]> {
    return this.#run('listAlertViews', (db) => {
      const limit = pageLimit(options)
      const { beforeId, stream, since, until } = options
      return selectAlertViews(db, (query) =>
        query
          .$if(beforeId !== undefined, (filtered) => filtered.where('a.image_event_alert_id', '<', beforeId ?? 0))
          .$if(stream !== undefined, (filtered) => filtered.where('i.stream', '=', stream ?? ''))
          .$if(since !== undefined, (filtered) => filtered.where('a.created_at', '>=', this.#timestamp(since ?? new Date(0))))
          .$if(until !== undefined, (filtered) => filtered.where('a.created_at', '<', this.#timestamp(until ?? new Date(0))))
          .orderBy('a.image_event_alert_id', 'desc')
          .limit(limit),
      )
    })
  }

  listStreamSummaries(options: StreamListOptions): Promise<StreamSummary[]> {
    return this.#run('listStreamSummaries', (db) =>
      selectStreamSummaries(db, this.dialect, {
        ...options,
        limit: pageLimit(options),
        recentImages: pageLimit({ limit: options.recentImages }),
      }),
    )
  }

  counts(streams?: readonly string[]): Promise<PipelineCounts> {
    return this.#run('counts', (db) => selectCounts(db, streams))
  }

  tableRows(table: CatalogTable, page: Page): Promise<Record<string, unknown>[]> {
    return this.#run('tableRows', (db) => {
      if (!(CATALOG_TABLES as readonly string[]).includes(table)) throw new NotFoundError(`no catalog table "${String(table)}"`)
      return selectTableRows(db, table, { ...page, limit: pageLimit(page) })
    })
  }

  tableCounts(): Promise<Record<CatalogTable, number>> {
    return this.#run('tableCounts', (db) => selectTableCounts(db))
  }

  emptyTables(): Promise<void> {
    return this.#run('emptyTables', (db) =>
      db.transaction().execute(async (trx) => {
        // Receivers belong to alerts; subscribers and subscriptions are settings and stay, as do watchlists and the
        // event types (the migration's rows). Detections, objects and difference imaging's records are data.
        await deliveryDb(trx).deleteFrom('image_event_alert_receiver').execute()
        const science = scienceDb(trx)
        for (const table of SCIENCE_DATA_TABLES) await science.deleteFrom(table).execute()
        await science.deleteFrom('dia_source').execute()
        await science.deleteFrom('dia_object').execute()
        await trx.deleteFrom('image_event_alert').execute()
        await trx.deleteFrom('image_event').execute()
        await trx.deleteFrom('image_metadata').execute()
      }),
    )
  }

  reset(): Promise<void> {
    return this.#run('reset', async (db) => {
      await dropCatalog(db as Kysely<unknown>)
      await migrateCatalog(db as Kysely<unknown>, this.dialect)
    })
  }
}
