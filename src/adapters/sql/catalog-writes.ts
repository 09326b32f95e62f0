import { sql } from 'kysely'
import type { Insertable, Kysely } from 'kysely'
import { CatalogUnavailableError, NotFoundError } from '../../core/errors.js'
import type { CatalogDatabase, ImageEventAlertRow, ImageEventRow, ImageMetadataRow } from './catalog-schema.js'
import type { SqlDialectKind } from './sql-dialect.js'

/**
 * Idempotent inserts on the natural keys: (stream, image_num), image_id, image_event_id.
 *
 * SQLite and PostgreSQL: `INSERT … ON CONFLICT (key) DO NOTHING RETURNING *`: one round trip when the
 * row is new, a read-back when it existed. MySQL 8 has no RETURNING: `INSERT … ON DUPLICATE KEY UPDATE
 * id = id` (not INSERT IGNORE, which would also swallow foreign-key and data errors), then a read-back.
 * The connection runs without CLIENT_FOUND_ROWS, so affected rows are 1 for an insert and 0 for a
 * duplicate left unchanged: that is `created`. A racing caller waits on the unique index and then sees
 * the winner's row, so both get the same row and exactly one gets `created: true`.
 */
export interface InsertOutcome<Row> {
  row: Row
  created: boolean
}

function mustExist<Row>(row: Row | undefined, what: string): Row {
  // Only a concurrent delete (emptyTables, reset) between insert and read-back gets here; a retry re-inserts.
  if (row === undefined) throw new CatalogUnavailableError(`${what} disappeared while it was being written; retry`)
  return row
}

export function selectImageByNum(db: Kysely<CatalogDatabase>, stream: string, imageNum: number): Promise<ImageMetadataRow | undefined> {
  return db.selectFrom('image_metadata').selectAll().where('stream', '=', stream).where('image_num', '=', imageNum).executeTakeFirst()
}

export function selectEventByImageId(db: Kysely<CatalogDatabase>, imageId: number): Promise<ImageEventRow | undefined> {
  return db.selectFrom('image_event').selectAll().where('image_id', '=', imageId).executeTakeFirst()
}

export function selectAlertByEventId(db: Kysely<CatalogDatabase>, imageEventId: number): Promise<ImageEventAlertRow | undefined> {
  return db.selectFrom('image_event_alert').selectAll().where('image_event_id', '=', imageEventId).executeTakeFirst()
}

export async function insertImageOnce(
  db: Kysely<CatalogDatabase>,
  kind: SqlDialectKind,
  values: Insertable<CatalogDatabase['image_metadata']> & { stream: string; image_num: number },
): Promise<InsertOutcome<ImageMetadataRow>> {
  const what = `image ${values.stream}#${values.image_num}`
  if (kind === 'mysql') {
    const result = await db
      .insertInto('image_metadata')
      .values(values)
      .onDuplicateKeyUpdate({ image_id: sql.ref('image_id') })
      .executeTakeFirstOrThrow()
    const row = mustExist(await selectImageByNum(db, values.stream, values.image_num), what)
    return { row, created: result.numInsertedOrUpdatedRows === 1n }
  }
  const inserted = await db
    .insertInto('image_metadata')
    .values(values)
    .onConflict((conflict) => conflict.columns(['stream', 'image_num']).doNothing())
    .returningAll()
    .executeTakeFirst()
  if (inserted !== undefined) return { row: inserted, created: true }
  return { row: mustExist(await selectImageByNum(db, values.stream, values.image_num), what), created: false }
}

export async function insertEventOnce(
  db: Kysely<CatalogDatabase>,
  kind: SqlDialectKind,
  values: Insertable<CatalogDatabase['image_event']>,
): Promise<InsertOutcome<ImageEventRow>> {
  const what = `event of image ${values.image_id}`
  if (kind === 'mysql') {
    const result = await db
      .insertInto('image_event')
      .values(values)
      .onDuplicateKeyUpdate({ image_event_id: sql.ref('image_event_id') })
      .executeTakeFirstOrThrow()
    const row = mustExist(await selectEventByImageId(db, values.image_id), what)
    return { row, created: result.numInsertedOrUpdatedRows === 1n }
  }
  const inserted = await db
    .insertInto('image_event')
    .values(values)
    .onConflict((conflict) => conflict.column('image_id').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (inserted !== undefined) return { row: inserted, created: true }
  return { row: mustExist(await selectEventByImageId(db, values.image_id), what), created: false }
}

export async function insertAlertOnce(
  db: Kysely<CatalogDatabase>,
  kind: SqlDialectKind,
  values: Insertable<CatalogDatabase['image_event_alert']>,
): Promise<InsertOutcome<ImageEventAlertRow>> {
  const what = `alert of event ${values.image_event_id}`
  if (kind === 'mysql') {
    const result = await db
      .insertInto('image_event_alert')
      .values(values)
      .onDuplicateKeyUpdate({ image_event_alert_id: sql.ref('image_event_alert_id') })
      .executeTakeFirstOrThrow()
    const row = mustExist(await selectAlertByEventId(db, values.image_event_id), what)
    return { row, created: result.numInsertedOrUpdatedRows === 1n }
  }
  const inserted = await db
    .insertInto('image_event_alert')
    .values(values)
    .onConflict((conflict) => conflict.column('image_event_id').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (inserted !== undefined) return { row: inserted, created: true }
  return { row: mustExist(await selectAlertByEventId(db, values.image_event_id), what), created: false }
}

const ID_OF: Record<'image_metadata' | 'image_event_alert', 'image_id' | 'image_event_alert_id'> = {
  image_metadata: 'image_id',
  image_event_alert: 'image_event_alert_id',
}

/**
 * An UPDATE that touched no row: either the row is missing (NotFoundError) or, on MySQL, whose connection
 * counts changed rows rather than matched ones (see catalog-writes.ts), it already held these values.
 */
export async function assertUpdated(
  db: Kysely<CatalogDatabase>,
  updatedRows: bigint,
  table: 'image_metadata' | 'image_event_alert',
  id: number,
): Promise<void> {
  if (updatedRows > 0n) return
  const column = ID_OF[table]
  const loose = db as unknown as Kysely<Record<string, Record<string, unknown>>>
  const found = await loose.selectFrom(table).select(column).where(column, '=', id).executeTakeFirst()
  if (found === undefined) throw new NotFoundError(`no ${table} row with ${column} ${id}`)
}
