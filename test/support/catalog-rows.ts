/**
 * The rows of any catalog (SQLite, MariaDB, PostgreSQL), through the port's `tableRows`, reduced to what two
 * correct runs must agree on: no timestamps, and events/alerts named by their image's (stream, image_num)
 * because their ids follow the order in which concurrent partitions finished.
 */
import type { Catalog } from '../../src/core/ports/catalog.js'
import type { PipelineCounts } from '../../src/core/types.js'

const IMAGE_COLUMNS = [
  'image_id',
  'image_filename',
  'image_object_key',
  'stream',
  'image_num',
  'content_sha256',
  'width',
  'height',
  'format',
  'status',
  'error_code',
  'previous_image_id',
  'l2_norm',
  'changed_fraction',
  'max_abs_difference',
] as const

/** Every row of a table, as stored (ids and keys included). */
export async function allRows(catalog: Catalog, table: 'image_metadata' | 'image_event' | 'image_event_alert') {
  const rows: Record<string, unknown>[] = []
  const idColumn = { image_metadata: 'image_id', image_event: 'image_event_id', image_event_alert: 'image_event_alert_id' }[table]
  for (;;) {
    const last = rows.at(-1)
    const page = await catalog.tableRows(table, { limit: 500, ...(last === undefined ? {} : { afterId: Number(last[idColumn]) }) })
    rows.push(...page)
    if (page.length < 500) return rows
  }
}

export async function catalogRows(catalog: Catalog) {
  const images = await allRows(catalog, 'image_metadata')
  const events = await allRows(catalog, 'image_event')
  const alerts = await allRows(catalog, 'image_event_alert')
  const imageById = new Map(images.map((image) => [Number(image['image_id']), image]))
  const eventById = new Map(events.map((event) => [Number(event['image_event_id']), event]))
  const name = (imageId: unknown): string => {
    const image = imageById.get(Number(imageId))
    return `${String(image?.['stream'])}#${String(image?.['image_num'])}`
  }
  return {
    images: images.map((image) => Object.fromEntries(IMAGE_COLUMNS.map((column) => [column, image[column] ?? null]))),
    events: events
      .map((event) => ({
        image: name(event['image_id']),
        // Named after the event's id, which follows the order in which concurrent analyses finished: compared
        // by shape (`…image_event_<own id>.jpg`) rather than by number.
        difference_image_object_key: namedAfterOwnId(event['difference_image_object_key'], event['image_event_id']),
        event_type: event['event_type'],
      }))
      .sort((a, b) => a.image.localeCompare(b.image)),
    alerts: alerts
      .map((alert) => ({
        image: name(eventById.get(Number(alert['image_event_id']))?.['image_id']),
        delivered: alert['delivered_at'] !== null,
        delivery_channels: alert['delivery_channels'],
      }))
      .sort((a, b) => a.image.localeCompare(b.image)),
  }
}

function namedAfterOwnId(key: unknown, imageEventId: unknown): unknown {
  const own = `image_event_${String(imageEventId).padStart(5, '0')}.jpg`
  return typeof key === 'string' && key.endsWith(own) ? `${key.slice(0, -own.length)}image_event_<own id>.jpg` : key
}

/** Polls until the catalog's counts satisfy `done`, or throws with the last counts seen. */
export async function waitForCounts(
  catalog: Catalog,
  done: (counts: PipelineCounts) => boolean,
  timeoutMs = 120_000,
): Promise<PipelineCounts> {
  const deadline = Date.now() + timeoutMs
  let counts = await catalog.counts()
  while (!done(counts)) {
    if (Date.now() > deadline) throw new Error(`pipeline did not finish within ${timeoutMs} ms: ${JSON.stringify(counts)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    counts = await catalog.counts()
  }
  return counts
}
