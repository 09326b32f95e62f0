import { sql } from 'kysely'
import type { Expression, Kysely, RawBuilder } from 'kysely'
import { InternalError, NotFoundError } from '../../core/errors.js'
import type { AnalysisWrite, AnalysisWriteOutcome } from '../../core/ports/catalog.js'
import type { ImageEventRecord, ImageRecord } from '../../core/types.js'
import type { CatalogDatabase, ImageEventRow } from './catalog-schema.js'
import { toEventRecord, toImageRecord } from './row-mappers.js'
import { toDbTimestamp, type SqlDialectKind } from './sql-dialect.js'

/**
 * The analyze stage's catalog work in as few statements as the databases allow: each statement is a round trip
 * and, on a busy machine, a wake-up of the database server. Measured on MariaDB before: ~6 statements per analysed
 * image (get, previous, BEGIN, UPDATE, SELECT, COMMIT), ~10 per event, and 16% of the analyze process's CPU in
 * socket writes.
 */

/** The image and its predecessor (the latest earlier image of its stream that is not failed), in one statement. */
export async function selectImageWithPrevious(
  db: Kysely<CatalogDatabase>,
  imageId: number,
): Promise<{ image: ImageRecord; previous: ImageRecord | null } | null> {
  const rows = await db
    .selectFrom('image_metadata')
    .selectAll()
    .where('image_id', '=', imageId)
    .unionAll(
      db
        .selectFrom('image_metadata as p')
        .selectAll('p')
        .where('p.image_id', '=', (eb) =>
          eb
            .selectFrom('image_metadata as q')
            .innerJoin('image_metadata as i', (join) => join.onRef('q.stream', '=', 'i.stream').onRef('q.image_num', '<', 'i.image_num'))
            .select('q.image_id')
            .where('i.image_id', '=', imageId)
            .where('q.status', '<>', 'failed')
            .orderBy('q.image_num', 'desc')
            .limit(1),
        ),
    )
    .execute()
  const records = rows.map(toImageRecord)
  const image = records.find((record) => record.imageId === imageId)
  if (image === undefined) return null
  return { image, previous: records.find((record) => record.imageId !== imageId) ?? null }
}

/**
 * The analyses of several images (one image is a batch of one): one UPDATE for all their rows (a CASE per column) and, when some have
 * events, one multi-row INSERT of those, in one transaction. The UPDATE comes first and takes the images' row
 * locks (in index order, so two batches cannot deadlock each other), so two analyses of one image still run one
 * after the other. A missing image row fails the whole batch (NotFoundError naming it): callers write such a
 * batch again one image at a time to put the failure where it belongs.
 */
export async function recordAnalyses(
  db: Kysely<CatalogDatabase>,
  kind: SqlDialectKind,
  writes: readonly AnalysisWrite[],
): Promise<AnalysisWriteOutcome[]> {
  const ids = writes.map((write) => write.imageId)
  if (new Set(ids).size !== ids.length) throw new InternalError('recordAnalyses: an image is written twice in one batch')
  for (const write of writes) {
    if (write.event !== null && write.event.imageId !== write.imageId) {
      throw new InternalError(`recordAnalyses: event of image ${write.event.imageId} given for image ${write.imageId}`)
    }
  }
  if (writes.length === 0) return []
  const withEvents = writes.filter((write) => write.event !== null)
  // A single statement is atomic by itself: a batch without events needs no transaction (two statements less).
  if (withEvents.length === 0) {
    await updateImages(db, kind, writes)
    return writes.map(() => ({ event: null, created: false }))
  }
  return db.transaction().execute(async (trx) => {
    await updateImages(trx, kind, writes)
    const events = await insertEvents(trx, kind, withEvents)
    return writes.map((write) => events.get(write.imageId) ?? { event: null, created: false })
  })
}

async function updateImages(db: Kysely<CatalogDatabase>, kind: SqlDialectKind, writes: readonly AnalysisWrite[]): Promise<void> {
  const ids = writes.map((write) => write.imageId)
  // PostgreSQL types a CASE of bare parameters as text: cast each column back to its type.
  const column = (type: string, value: (write: AnalysisWrite) => unknown): RawBuilder<unknown> => {
    const cases = sql.join(
      writes.map((write) => sql`when ${write.imageId} then ${value(write)}`),
      sql` `,
    )
    const expression = sql`case image_id ${cases} end`
    return kind === 'postgres' ? sql`cast(${expression} as ${sql.raw(type)})` : expression
  }
  const result = await db
    .updateTable('image_metadata')
    .set({
      status: 'analyzed',
      previous_image_id: column('integer', (write) => write.result.previousImageId) as Expression<number | null>,
      l2_norm: column('double precision', (write) => write.result.l2Norm) as Expression<number | null>,
      changed_fraction: column('double precision', (write) => write.result.changedFraction) as Expression<number | null>,
      max_abs_difference: column('integer', (write) => write.result.maxAbsDifference) as Expression<number | null>,
      analyzed_at: column('timestamptz', (write) => toDbTimestamp(kind, write.result.analyzedAt)) as Expression<Date | string | null>,
      error_code: null,
      error_message: null,
    })
    .where('image_id', 'in', ids)
    .executeTakeFirst()
  // MySQL counts changed rows, not matched ones, but analyzed_at differs on every write: fewer means missing rows.
  if (Number(result.numUpdatedRows) >= writes.length) return
  const found = await db.selectFrom('image_metadata').select('image_id').where('image_id', 'in', ids).execute()
  const present = new Set(found.map((row) => Number(row.image_id)))
  const missing = ids.filter((id) => !present.has(id))
  if (missing.length > 0) throw new NotFoundError(`no image_metadata row with image_id ${missing.join(', ')}`)
}

/**
 * Inserts the events that do not exist yet and returns every image's event with whether it is new. The images'
 * row locks, taken by the UPDATE before, keep any other analysis of these images from inserting in between.
 */
async function insertEvents(
  db: Kysely<CatalogDatabase>,
  kind: SqlDialectKind,
  writes: readonly AnalysisWrite[],
): Promise<Map<number, AnalysisWriteOutcome>> {
  const ids = writes.map((write) => write.imageId)
  const values = writes.map(({ imageId, result, event }) => ({
    image_id: imageId,
    difference_image_object_key: event!.differenceImageObjectKey,
    event_type: event!.eventType,
    detected_at: toDbTimestamp(kind, result.analyzedAt),
    analyzer: event!.analyzer,
    analyzer_version: event!.analyzerVersion,
  }))
  const outcomes = new Map<number, AnalysisWriteOutcome>()
  const keep = (rows: ImageEventRow[], created: boolean): void => {
    for (const row of rows) outcomes.set(Number(row.image_id), { event: toEventRecord(row), created })
  }
  if (kind === 'mysql') {
    // No RETURNING: what existed before the insert is what was not created by it.
    keep(await selectEvents(db, ids), false)
    const fresh = values.filter((value) => !outcomes.has(value.image_id))
    if (fresh.length > 0) {
      await db
        .insertInto('image_event')
        .values(fresh)
        .onDuplicateKeyUpdate({ image_event_id: sql.ref('image_event_id') })
        .execute()
      keep(
        await selectEvents(
          db,
          fresh.map((value) => value.image_id),
        ),
        true,
      )
    }
  } else {
    keep(
      await db
        .insertInto('image_event')
        .values(values)
        .onConflict((conflict) => conflict.column('image_id').doNothing())
        .returningAll()
        .execute(),
      true,
    )
    const existing = ids.filter((id) => !outcomes.has(id))
    if (existing.length > 0) keep(await selectEvents(db, existing), false)
  }
  return outcomes
}

function selectEvents(db: Kysely<CatalogDatabase>, imageIds: readonly number[]): Promise<ImageEventRow[]> {
  return db.selectFrom('image_event').selectAll().where('image_id', 'in', imageIds).execute()
}

/**
 * The difference image keys of several events: one conditional UPDATE (only keys still NULL change, so racing or
 * repeated calls are harmless) and one read-back, in the given order. A missing event fails the batch.
 */
export async function setEventDifferenceKeys(
  db: Kysely<CatalogDatabase>,
  keys: readonly { imageEventId: number; differenceImageObjectKey: string }[],
): Promise<ImageEventRecord[]> {
  if (keys.length === 0) return []
  const ids = keys.map((key) => key.imageEventId)
  const cases = sql.join(
    keys.map((key) => sql`when ${key.imageEventId} then ${key.differenceImageObjectKey}`),
    sql` `,
  )
  await db
    .updateTable('image_event')
    .set({ difference_image_object_key: sql<string>`case image_event_id ${cases} end` })
    .where('image_event_id', 'in', ids)
    .where('difference_image_object_key', 'is', null)
    .execute()
  const rows = await db.selectFrom('image_event').selectAll().where('image_event_id', 'in', ids).execute()
  const byId = new Map(rows.map((row) => [Number(row.image_event_id), toEventRecord(row)]))
  const missing = ids.filter((id) => !byId.has(id))
  if (missing.length > 0) throw new NotFoundError(`no image_event row with image_event_id ${missing.join(', ')}`)
  return ids.map((id) => byId.get(id)!)
}
