import type { Kysely } from 'kysely'
import { NotFoundError } from '../../core/errors.js'
import type { CatalogDatabase, ImageEventRow } from './catalog-schema.js'

// The idempotent one-row inserts that were here went with the singular writes (issue 15): the batch inserts
// (catalog-image-batch.ts, catalog-analysis-writes.ts, catalog-alert-writes.ts) key the rows the same way.

export function selectEventByImageId(db: Kysely<CatalogDatabase>, imageId: number): Promise<ImageEventRow | undefined> {
  return db.selectFrom('image_event').selectAll().where('image_id', '=', imageId).executeTakeFirst()
}

const ID_OF: Record<'image_metadata' | 'image_event_alert', 'image_id' | 'image_event_alert_id'> = {
  image_metadata: 'image_id',
  image_event_alert: 'image_event_alert_id',
}

/**
 * An UPDATE that touched no row: either the row is missing (NotFoundError) or, on MySQL, whose connection
 * counts changed rows rather than matched ones (it runs without CLIENT_FOUND_ROWS), it already held these values.
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
