import type { Kysely } from 'kysely'
import type { StreamActivity } from '../../core/ports/catalog.js'
import type { ImageStatus } from '../../core/types.js'
import type { CatalogDatabase } from './catalog-schema.js'
import { toDate, toNumber, toNumberOrNull } from './row-mappers.js'
import { toDbTimestamp, type SqlDialectKind } from './sql-dialect.js'

/**
 * The stream page's queries: the newest images of one stream with their metrics and alert numbers, and
 * the receive and alert times since a moment. Three statements whatever the number of rows, each bounded.
 */

/** Most timestamps read for the rates: a stream receiving more per hour shows its newest ones. */
const MAX_TIMES = 20_000

export async function selectStreamActivity(
  db: Kysely<CatalogDatabase>,
  kind: SqlDialectKind,
  stream: string,
  options: { limit: number; since: Date },
): Promise<StreamActivity> {
  const since = toDbTimestamp(kind, options.since)
  const [points, images, alerts] = await Promise.all([
    db
      .selectFrom('image_metadata as i')
      .leftJoin('image_event as e', 'e.image_id', 'i.image_id')
      .leftJoin('image_event_alert as a', 'a.image_event_id', 'e.image_event_id')
      .where('i.stream', '=', stream)
      .select([
        'i.image_id',
        'i.image_num',
        'i.status',
        'i.changed_fraction',
        'i.l2_norm',
        'i.received_at',
        'i.error_code',
        'i.error_message',
        'a.image_event_alert_id',
      ])
      .orderBy('i.image_num', 'desc')
      .orderBy('i.image_id', 'desc')
      .limit(options.limit)
      .execute(),
    db
      .selectFrom('image_metadata')
      .where('stream', '=', stream)
      .where('received_at', '>=', since)
      .select('received_at')
      .orderBy('received_at', 'desc')
      .limit(MAX_TIMES)
      .execute(),
    db
      .selectFrom('image_event_alert as a')
      .innerJoin('image_event as e', 'e.image_event_id', 'a.image_event_id')
      .innerJoin('image_metadata as i', 'i.image_id', 'e.image_id')
      .where('i.stream', '=', stream)
      .where('a.created_at', '>=', since)
      .select('a.created_at')
      .orderBy('a.created_at', 'desc')
      .limit(MAX_TIMES)
      .execute(),
  ])
  return {
    stream,
    points: points.reverse().map((row) => ({
      imageId: toNumber(row.image_id),
      imageNum: toNumberOrNull(row.image_num),
      status: row.status as ImageStatus,
      changedFraction: toNumberOrNull(row.changed_fraction),
      l2Norm: toNumberOrNull(row.l2_norm),
      receivedAt: toDate(row.received_at),
      alertNumber: toNumberOrNull(row.image_event_alert_id),
      errorCode: row.error_code,
      errorMessage: row.error_message,
    })),
    imageTimes: images.map((row) => toDate(row.received_at)),
    alertTimes: alerts.map((row) => toDate(row.created_at)),
  }
}
