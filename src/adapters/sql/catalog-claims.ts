import type { Kysely } from 'kysely'
import { NotFoundError } from '../../core/errors.js'
import type { Page } from '../../core/ports/catalog.js'
import type { ImageEventRecord, ImageRecord } from '../../core/types.js'
import type { CatalogDatabase } from './catalog-schema.js'
import { toEventRecord, toImageRecord } from './row-mappers.js'

/**
 * The writes that finish a row claimed before its object existed: an image in `storing`, an event
 * without its difference image key, a row of the original's receiving client without a number. Each is
 * a conditional UPDATE (only the unfinished state changes), so racing or repeated calls are harmless.
 */

async function imageById(db: Kysely<CatalogDatabase>, imageId: number): Promise<ImageRecord> {
  const row = await db.selectFrom('image_metadata').selectAll().where('image_id', '=', imageId).executeTakeFirst()
  if (row === undefined) throw new NotFoundError(`no image_metadata row with image_id ${imageId}`)
  return toImageRecord(row)
}

export async function assignImageNum(db: Kysely<CatalogDatabase>, imageId: number, stream: string, imageNum: number): Promise<ImageRecord> {
  await db
    .updateTable('image_metadata')
    .set({ stream, image_num: imageNum })
    .where('image_id', '=', imageId)
    .where('image_num', 'is', null)
    .execute()
  return imageById(db, imageId)
}

export async function listEventsWithoutKey(db: Kysely<CatalogDatabase>, page: Page): Promise<ImageEventRecord[]> {
  const rows = await db
    .selectFrom('image_event')
    .selectAll()
    .where('difference_image_object_key', 'is', null)
    .where('image_event_id', '>', page.afterId ?? 0)
    .orderBy('image_event_id')
    .limit(page.limit)
    .execute()
  return rows.map(toEventRecord)
}

export async function listUnnumberedImages(db: Kysely<CatalogDatabase>, stream: string, page: Page): Promise<ImageRecord[]> {
  const rows = await db
    .selectFrom('image_metadata')
    .selectAll()
    .where('stream', '=', stream)
    .where('image_num', 'is', null)
    .where('image_id', '>', page.afterId ?? 0)
    .orderBy('image_id')
    .limit(page.limit)
    .execute()
  return rows.map(toImageRecord)
}
