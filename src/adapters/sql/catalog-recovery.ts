import type { Kysely } from 'kysely'
import type { Page, ReanalysisFilter } from '../../core/ports/catalog.js'
import type { AlertRecord, ImageEventRecord, ImageRecord, ImageStatus } from '../../core/types.js'
import type { CatalogDatabase } from './catalog-schema.js'
import { toAlertRecord, toEventRecord, toImageRecord } from './row-mappers.js'

/**
 * Queries for finding unfinished work and undoing failures: the work lists a restarted pipeline resumes from,
 * the file an ingest could not read, and resetting images so that they are analysed again (`imgpipe reanalyze`).
 */

/** Images in one status, by id, one page at a time. */
export async function selectImagesByStatus(db: Kysely<CatalogDatabase>, status: ImageStatus, page: Page): Promise<ImageRecord[]> {
  const rows = await db
    .selectFrom('image_metadata')
    .selectAll()
    .where('status', '=', status)
    .where('image_id', '>', page.afterId ?? 0)
    .orderBy('image_id')
    .limit(page.limit)
    .execute()
  return rows.map(toImageRecord)
}

/** Events with a difference image but no alert yet: what the alert stage has still to do. */
export async function selectEventsWithoutAlert(db: Kysely<CatalogDatabase>, page: Page): Promise<ImageEventRecord[]> {
  const rows = await db
    .selectFrom('image_event as e')
    .leftJoin('image_event_alert as a', 'a.image_event_id', 'e.image_event_id')
    .selectAll('e')
    .where('a.image_event_alert_id', 'is', null)
    .where('e.difference_image_object_key', 'is not', null)
    .where('e.image_event_id', '>', page.afterId ?? 0)
    .orderBy('e.image_event_id')
    .limit(page.limit)
    .execute()
  return rows.map(toEventRecord)
}

export async function selectUndeliveredAlerts(db: Kysely<CatalogDatabase>, page: Page): Promise<AlertRecord[]> {
  const rows = await db
    .selectFrom('image_event_alert')
    .selectAll()
    .where('delivered_at', 'is', null)
    .where('image_event_alert_id', '>', page.afterId ?? 0)
    .orderBy('image_event_alert_id')
    .limit(page.limit)
    .execute()
  return rows.map(toAlertRecord)
}

/** The latest failed image of the stream with this file name that was never read (no content hash). */
export async function selectUnreadFile(db: Kysely<CatalogDatabase>, stream: string, imageFilename: string): Promise<ImageRecord | null> {
  const rows = await db
    .selectFrom('image_metadata')
    .selectAll()
    .where('stream', '=', stream)
    .where('image_filename', '=', imageFilename)
    .where('content_sha256', 'is', null)
    .where('status', '=', 'failed')
    .orderBy('image_id', 'desc')
    .limit(10)
    .execute()
  // Exact in JS too: MySQL's PAD SPACE collation would match 'bear.jpg ' to 'bear.jpg'.
  const row = rows.find((candidate) => candidate.image_filename === imageFilename && candidate.stream === stream)
  return row === undefined ? null : toImageRecord(row)
}

/**
 * Sets the chosen images back to `received` (their analysis columns and error cleared) so that the analyze
 * stage takes them again; returns how many. Images that failed on receipt (no format: their bytes were
 * never valid, or never stored) stay failed: analysing them cannot succeed. Events and alerts are kept:
 * re-analysis finds and reuses them, so nothing is duplicated.
 */
export async function resetImagesForReanalysis(db: Kysely<CatalogDatabase>, filter: ReanalysisFilter): Promise<number> {
  let query = db
    .updateTable('image_metadata')
    .set({
      status: 'received',
      error_code: null,
      error_message: null,
      analyzed_at: null,
      previous_image_id: null,
      l2_norm: null,
      changed_fraction: null,
      max_abs_difference: null,
    })
    .where('format', 'is not', null)
    .where('status', 'in', filter.failedOnly ? ['failed'] : ['failed', 'analyzed'])
  if (filter.stream !== undefined) query = query.where('stream', '=', filter.stream)
  if (filter.fromImageNum !== undefined) query = query.where('image_num', '>=', filter.fromImageNum)
  const result = await query.executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Failed images, oldest first, for `imgpipe status`. */
export async function selectFailedImages(db: Kysely<CatalogDatabase>, limit: number): Promise<ImageRecord[]> {
  const rows = await db.selectFrom('image_metadata').selectAll().where('status', '=', 'failed').orderBy('image_id').limit(limit).execute()
  return rows.map(toImageRecord)
}
