import { sql, type Kysely } from 'kysely'
import type { StreamListOptions, StreamSummary } from '../../core/ports/catalog.js'
import type { CatalogDatabase } from './catalog-schema.js'
import { toDateOrNull, toNumber, toNumberOrNull } from './row-mappers.js'
import { toDbTimestamp, type SqlDialectKind } from './sql-dialect.js'

/**
 * The viewer's index of streams: one grouped statement for the counts of a page of streams, and one for the
 * newest images of those streams (bounded per stream by its own last number, so no window functions are needed).
 */

export async function selectStreamSummaries(
  db: Kysely<CatalogDatabase>,
  kind: SqlDialectKind,
  options: StreamListOptions,
): Promise<StreamSummary[]> {
  const { prefix, afterStream, since, until } = options
  // One event per image and one alert per event (unique keys), so the joins never multiply image rows.
  const rows = await db
    .selectFrom('image_metadata as i')
    .leftJoin('image_event as e', 'e.image_id', 'i.image_id')
    .leftJoin('image_event_alert as a', 'a.image_event_id', 'e.image_event_id')
    .select((eb) => [
      'i.stream',
      eb.fn.count('i.image_id').as('images'),
      eb.fn.count(eb.case().when('i.status', '=', 'failed').then(1).end()).as('failed'),
      eb.fn.count('e.image_event_id').as('events'),
      eb.fn.count('a.image_event_alert_id').as('alerts'),
      eb.fn.max('i.image_num').as('last_image_num'),
      eb.fn.max('i.received_at').as('last_received_at'),
    ])
    // A prefix compared with substr rather than LIKE: stream names may hold "_", a LIKE wildcard, and the
    // dialects disagree on LIKE's escape character.
    .$if(prefix !== undefined && prefix !== '', (query) =>
      query.where(sql`substr(${sql.ref('i.stream')}, 1, ${[...(prefix ?? '')].length})`, '=', prefix ?? ''),
    )
    .$if(afterStream !== undefined, (query) => query.where('i.stream', '>', afterStream ?? ''))
    .$if(since !== undefined, (query) => query.where('i.received_at', '>=', toDbTimestamp(kind, since ?? new Date(0))))
    .$if(until !== undefined, (query) => query.where('i.received_at', '<', toDbTimestamp(kind, until ?? new Date(0))))
    .groupBy('i.stream')
    .orderBy('i.stream')
    .limit(options.limit)
    .execute()
  if (rows.length === 0) return []

  const summaries: StreamSummary[] = rows.map((row) => ({
    stream: row.stream,
    images: toNumber(row.images),
    failed: toNumber(row.failed),
    events: toNumber(row.events),
    alerts: toNumber(row.alerts),
    lastImageNum: toNumberOrNull(row.last_image_num as number | string | null),
    lastReceivedAt: toDateOrNull(row.last_received_at as Date | string | null),
    recent: [],
  }))
  if (options.recentImages <= 0) return summaries

  // Within a time range the last number counted may not be the stream's last: ask each stream's own.
  const lasts = await db
    .selectFrom('image_metadata')
    .select((eb) => ['stream', eb.fn.max('image_num').as('last')])
    .where(
      'stream',
      'in',
      summaries.map((summary) => summary.stream),
    )
    .groupBy('stream')
    .execute()
  const bounded = lasts.flatMap((row) => {
    const last = toNumberOrNull(row.last as number | string | null)
    return last === null ? [] : [{ stream: row.stream, from: last - options.recentImages }]
  })
  if (bounded.length === 0) return summaries
  const recent = await db
    .selectFrom('image_metadata as i')
    .leftJoin('image_event as e', 'e.image_id', 'i.image_id')
    .select(['i.stream', 'i.image_num', 'i.status', 'e.image_event_id'])
    .where((eb) => eb.or(bounded.map(({ stream, from }) => eb.and([eb('i.stream', '=', stream), eb('i.image_num', '>', from)]))))
    .orderBy('i.stream')
    .orderBy('i.image_num')
    .execute()
  const byStream = new Map(summaries.map((summary) => [summary.stream, summary]))
  for (const row of recent) {
    const imageNum = toNumberOrNull(row.image_num)
    if (imageNum === null) continue
    byStream.get(row.stream)?.recent.push({ imageNum, failed: row.status === 'failed', event: row.image_event_id !== null })
  }
  return summaries
}
