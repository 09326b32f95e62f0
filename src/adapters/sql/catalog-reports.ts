import type { Kysely, SelectQueryBuilder } from 'kysely'
import type { CatalogTable, Page } from '../../core/ports/catalog.js'
import type { AlertView, ImageRecord, PipelineCounts } from '../../core/types.js'
import { ID_COLUMNS } from './catalog-schema.js'
import type { CatalogDatabase } from './catalog-schema.js'
import { normalizeRawRow, toAlertRecord, toEventRecord, toImageRecord, toNumber } from './row-mappers.js'

/**
 * Read-only queries for viewers and operators. Each runs a fixed number of statements whatever the
 * number of rows: alert views are one join plus one batch of images, never a query per alert.
 */

type AlertJoin = SelectQueryBuilder<
  CatalogDatabase & { a: CatalogDatabase['image_event_alert']; e: CatalogDatabase['image_event']; i: CatalogDatabase['image_metadata'] },
  'a' | 'e' | 'i',
  object
>

/** Alert views for the alerts the filter keeps, in the filter's order. */
export async function selectAlertViews(db: Kysely<CatalogDatabase>, filter: (query: AlertJoin) => AlertJoin): Promise<AlertView[]> {
  const base = db
    .selectFrom('image_event_alert as a')
    .innerJoin('image_event as e', 'e.image_event_id', 'a.image_event_id')
    .innerJoin('image_metadata as i', 'i.image_id', 'e.image_id')
  const rows = await filter(base)
    .select([
      'a.image_event_alert_id',
      'a.image_event_id',
      'a.created_at',
      'a.delivered_at',
      'a.delivery_channels',
      'e.image_id',
      'e.difference_image_object_key',
      'e.event_type',
      'e.detected_at',
      'e.analyzer',
      'e.analyzer_version',
      'i.previous_image_id',
    ])
    .execute()
  if (rows.length === 0) return []

  const imageIds = new Set<number>()
  for (const row of rows) {
    imageIds.add(toNumber(row.image_id))
    if (row.previous_image_id !== null) imageIds.add(toNumber(row.previous_image_id))
  }
  const images = new Map<number, ImageRecord>()
  const imageRows = await db
    .selectFrom('image_metadata')
    .selectAll()
    .where('image_id', 'in', [...imageIds])
    .execute()
  for (const imageRow of imageRows) {
    const image = toImageRecord(imageRow)
    images.set(image.imageId, image)
  }

  return rows.map((row) => {
    const image = images.get(toNumber(row.image_id))
    // The inner join guarantees the image; a concurrent delete between the two statements could not.
    if (image === undefined) throw new Error(`image ${row.image_id} vanished while reading alert ${row.image_event_alert_id}`)
    return {
      alert: toAlertRecord(row),
      event: toEventRecord(row),
      image,
      previousImage: row.previous_image_id === null ? null : (images.get(toNumber(row.previous_image_id)) ?? null),
    }
  })
}

const NO_COUNTS: PipelineCounts = {
  images: 0,
  imagesReceived: 0,
  imagesAnalyzed: 0,
  imagesFailed: 0,
  events: 0,
  alerts: 0,
  alertsUndelivered: 0,
}

export async function selectCounts(db: Kysely<CatalogDatabase>, streams?: readonly string[]): Promise<PipelineCounts> {
  if (streams !== undefined && streams.length === 0) return { ...NO_COUNTS }
  const images = await db
    .selectFrom('image_metadata')
    .select((eb) => [
      eb.fn.countAll().as('images'),
      eb.fn.count(eb.case().when('status', '=', 'received').then(1).end()).as('received'),
      eb.fn.count(eb.case().when('status', '=', 'analyzed').then(1).end()).as('analyzed'),
      eb.fn.count(eb.case().when('status', '=', 'failed').then(1).end()).as('failed'),
    ])
    .$if(streams !== undefined, (query) => query.where('stream', 'in', streams ?? []))
    .executeTakeFirstOrThrow()
  // One alert per event (unique key), so the left join never multiplies event rows.
  const events = await db
    .selectFrom('image_event as e')
    .innerJoin('image_metadata as i', 'i.image_id', 'e.image_id')
    .leftJoin('image_event_alert as a', 'a.image_event_id', 'e.image_event_id')
    .select((eb) => [
      eb.fn.count('e.image_event_id').as('events'),
      eb.fn.count('a.image_event_alert_id').as('alerts'),
      eb.fn
        .count(
          eb
            .case()
            .when(eb.and([eb('a.image_event_alert_id', 'is not', null), eb('a.delivered_at', 'is', null)]))
            .then(1)
            .end(),
        )
        .as('undelivered'),
    ])
    .$if(streams !== undefined, (query) => query.where('i.stream', 'in', streams ?? []))
    .executeTakeFirstOrThrow()
  return {
    images: toNumber(images.images),
    imagesReceived: toNumber(images.received),
    imagesAnalyzed: toNumber(images.analyzed),
    imagesFailed: toNumber(images.failed),
    events: toNumber(events.events),
    alerts: toNumber(events.alerts),
    alertsUndelivered: toNumber(events.undelivered),
  }
}

export async function selectTableCounts(db: Kysely<CatalogDatabase>): Promise<Record<CatalogTable, number>> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('image_metadata').select(eb.fn.countAll().as('n')).as('image_metadata'),
      eb.selectFrom('image_event').select(eb.fn.countAll().as('n')).as('image_event'),
      eb.selectFrom('image_event_alert').select(eb.fn.countAll().as('n')).as('image_event_alert'),
    ])
    .executeTakeFirstOrThrow()
  return {
    image_metadata: toNumber(row.image_metadata ?? 0),
    image_event: toNumber(row.image_event ?? 0),
    image_event_alert: toNumber(row.image_event_alert ?? 0),
  }
}

export async function selectTableRows(db: Kysely<CatalogDatabase>, table: CatalogTable, page: Page): Promise<Record<string, unknown>[]> {
  const idColumn = ID_COLUMNS[table]
  // The table name comes from a closed set (checked by the caller) and is quoted by Kysely as an identifier.
  const loose = db as unknown as Kysely<Record<string, Record<string, unknown>>>
  const rows = await loose
    .selectFrom(table)
    .selectAll()
    .where(idColumn, '>', page.afterId ?? 0)
    .orderBy(idColumn)
    .limit(page.limit)
    .execute()
  return rows.map(normalizeRawRow)
}
