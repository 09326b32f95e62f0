/**
 * Reads a pipeline's SQLite catalog with plain SQL on the original's table names, the way its users'
 * scripts do, so end-to-end tests check what those scripts would see.
 */
import Database from 'better-sqlite3'

export interface PipelineRows {
  images: Record<string, unknown>[]
  events: Record<string, unknown>[]
  alerts: Record<string, unknown>[]
}

/**
 * The rows without what naturally differs between two correct runs: timestamps, and event/alert ids,
 * which follow the order in which concurrent partitions finished. Events and alerts are identified by
 * their image's natural key (stream, image_num) instead.
 */
export function readRows(dbPath: string): PipelineRows {
  const db = new Database(dbPath, { readonly: true })
  try {
    return {
      images: db
        .prepare(
          `SELECT image_id, image_filename, image_object_key, stream, image_num, content_sha256, width, height, format,
                  status, error_code, previous_image_id, l2_norm, changed_fraction, max_abs_difference
             FROM image_metadata ORDER BY image_id`,
        )
        .all() as Record<string, unknown>[],
      events: db
        .prepare(
          `SELECT i.stream, i.image_num, e.image_id, e.difference_image_object_key, e.event_type, e.analyzer
             FROM image_event e JOIN image_metadata i ON i.image_id = e.image_id ORDER BY i.stream, i.image_num`,
        )
        .all() as Record<string, unknown>[],
      alerts: db
        .prepare(
          `SELECT i.stream, i.image_num, a.delivered_at IS NOT NULL AS delivered, a.delivery_channels
             FROM image_event_alert a
             JOIN image_event e ON e.image_event_id = a.image_event_id
             JOIN image_metadata i ON i.image_id = e.image_id
            ORDER BY i.stream, i.image_num`,
        )
        .all() as Record<string, unknown>[],
    }
  } finally {
    db.close()
  }
}

export function countRows(dbPath: string, table: 'image_metadata' | 'image_event' | 'image_event_alert'): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
  } finally {
    db.close()
  }
}

/** How many images are in each status, e.g. to catch a receive window between its claim and its finish. */
export function countImagesByStatus(dbPath: string): Record<string, number> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    const rows = db.prepare('SELECT status, COUNT(*) AS n FROM image_metadata GROUP BY status').all() as { status: string; n: number }[]
    return Object.fromEntries(rows.map((row) => [row.status, row.n]))
  } finally {
    db.close()
  }
}
