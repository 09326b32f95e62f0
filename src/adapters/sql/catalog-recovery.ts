import type { Kysely } from 'kysely'
import type { ReanalysisFilter } from '../../core/ports/catalog.js'
import type { ImageRecord } from '../../core/types.js'
import type { CatalogDatabase } from './catalog-schema.js'
import { toImageRecord } from './row-mappers.js'

/**
 * Queries for finding and undoing failures: the file an ingest could not read, and resetting images so
 * that they are analysed again (`imgpipe reanalyze`).
 */

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
