import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import { CatalogUnavailableError, NotFoundError } from '../../core/errors.js'
import type { AlertToRecord, ReceiverRecord, SubscriptionRecord } from '../../core/ports/subscriptions.js'
import type { AlertRecord, ImageEventRecord, ImageRecord } from '../../core/types.js'
import type { CatalogDatabase, ImageEventAlertRow } from './catalog-schema.js'
import { toAlertRecord, toDate, toEventRecord, toImageRecord, toNumber } from './row-mappers.js'
import { toDbTimestamp } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'
import { selectReceivers, selectSubscriptions, toSubscriptionRecord } from './subscription-rows.js'
import { deliveryDb } from './subscription-schema.js'

/**
 * The alert stage's writes for a batch of events at once, each a fixed number of statements whatever the batch's
 * size: one read of the events with their images, one multi-row INSERT of the alerts (idempotent on image_event_id)
 * and one of their receiver rows, one UPDATE of the delivered marks.
 *
 * Which alerts a call created must be exact even when callers race on overlapping events: only the creator adds the
 * receiver rows. SQLite and PostgreSQL say it themselves (`ON CONFLICT DO NOTHING RETURNING`). MySQL has no
 * RETURNING and reports one affected-row count for the statement, so the insert runs in a REPEATABLE READ
 * transaction between two reads of the same snapshot: what the second read sees and the first did not, this
 * transaction inserted; rows a racing caller committed after the snapshot are invisible to it and are read with a
 * locking read instead (which sees the latest version).
 */

/** Rows per multi-row INSERT: far below the bound-parameter limits (SQLite 32,766; MySQL and PostgreSQL 65,535). */
const ROWS_PER_STATEMENT = 500

export interface AlertOutcome {
  alert: AlertRecord
  created: boolean
}

function distinct(ids: readonly number[]): number[] {
  return [...new Set(ids)]
}

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += ROWS_PER_STATEMENT) result.push(items.slice(start, start + ROWS_PER_STATEMENT))
  return result
}

/** A transaction for the writes below: REPEATABLE READ on MySQL (see above), each dialect's default elsewhere. */
function alertTransaction<T>(db: Kysely<CatalogDatabase>, kind: SqlDialectKind, work: (trx: Kysely<CatalogDatabase>) => Promise<T>) {
  const builder = db.transaction()
  return (kind === 'mysql' ? builder.setIsolationLevel('repeatable read') : builder).execute(work) as Promise<T>
}

export async function selectEventsWithImages(
  db: Kysely<CatalogDatabase>,
  imageEventIds: readonly number[],
): Promise<{ event: ImageEventRecord; image: ImageRecord }[]> {
  if (imageEventIds.length === 0) return []
  const rows = await db
    .selectFrom('image_event as e')
    .innerJoin('image_metadata as i', 'i.image_id', 'e.image_id')
    .selectAll('i')
    .select(['e.image_event_id', 'e.difference_image_object_key', 'e.event_type', 'e.detected_at', 'e.analyzer', 'e.analyzer_version'])
    .where('e.image_event_id', 'in', distinct(imageEventIds))
    .execute()
  return rows.map((row) => ({ event: toEventRecord(row), image: toImageRecord(row) }))
}

function selectAlerts(db: Kysely<CatalogDatabase>, imageEventIds: readonly number[]) {
  return db
    .selectFrom('image_event_alert')
    .selectAll()
    .where('image_event_id', 'in', [...imageEventIds])
}

/**
 * Inserts an alert for each event without one; returns every event's alert row, `created` for those inserted here.
 * Runs inside the caller's transaction (alertTransaction). Ids ascending: racing callers lock rows in one order.
 */
async function insertAlertsOnce(
  trx: Kysely<CatalogDatabase>,
  kind: SqlDialectKind,
  imageEventIds: readonly number[],
  createdAt: Date | string,
): Promise<Map<number, { row: ImageEventAlertRow; created: boolean }>> {
  const ids = distinct(imageEventIds).sort((a, b) => a - b)
  const rows = new Map<number, ImageEventAlertRow>()
  const created = new Set<number>()
  const values = (batch: number[]) => batch.map((id) => ({ image_event_id: id, created_at: createdAt }))
  if (kind === 'mysql') {
    // The first consistent read fixes the snapshot.
    const before = await trx.selectFrom('image_event_alert').select('image_event_id').where('image_event_id', 'in', ids).execute()
    const existing = new Set(before.map((row) => toNumber(row.image_event_id)))
    let inserted = 0n
    for (const batch of chunks(ids.filter((id) => !existing.has(id)))) {
      const result = await trx
        .insertInto('image_event_alert')
        .values(values(batch))
        .onDuplicateKeyUpdate({ image_event_alert_id: sql.ref('image_event_alert_id') })
        .executeTakeFirstOrThrow()
      inserted += result.numInsertedOrUpdatedRows ?? 0n
    }
    for (const row of await selectAlerts(trx, ids).execute()) {
      const id = toNumber(row.image_event_id)
      rows.set(id, row)
      if (!existing.has(id)) created.add(id)
    }
    // The two counts agree unless the snapshot reasoning above failed (another isolation level): undo and retry.
    if (BigInt(created.size) !== inserted) throw new CatalogUnavailableError('alerts: inserted rows do not match the snapshot; retry')
    const late = ids.filter((id) => !rows.has(id))
    if (late.length > 0) for (const row of await selectAlerts(trx, late).forUpdate().execute()) rows.set(toNumber(row.image_event_id), row)
  } else {
    for (const batch of chunks(ids)) {
      const insertedRows = await trx
        .insertInto('image_event_alert')
        .values(values(batch))
        .onConflict((conflict) => conflict.column('image_event_id').doNothing())
        .returningAll()
        .execute()
      for (const row of insertedRows) {
        rows.set(toNumber(row.image_event_id), row)
        created.add(toNumber(row.image_event_id))
      }
    }
    const others = ids.filter((id) => !rows.has(id))
    if (others.length > 0) for (const row of await selectAlerts(trx, others).execute()) rows.set(toNumber(row.image_event_id), row)
  }
  const outcomes = new Map<number, { row: ImageEventAlertRow; created: boolean }>()
  for (const id of ids) {
    const row = rows.get(id)
    // Only a concurrent delete (emptyTables, reset) gets here; a retry inserts again.
    if (row === undefined) throw new CatalogUnavailableError(`alert of event ${id} disappeared while it was being written; retry`)
    outcomes.set(id, { row, created: created.has(id) })
  }
  return outcomes
}

/** Catalog.insertAlerts: the outcome of each id given, in their order (a repeated id is `created` once at most). */
export async function insertAlerts(
  db: Kysely<CatalogDatabase>,
  kind: SqlDialectKind,
  imageEventIds: readonly number[],
  createdAt: Date,
): Promise<AlertOutcome[]> {
  if (imageEventIds.length === 0) return []
  const outcomes = await alertTransaction(db, kind, (trx) => insertAlertsOnce(trx, kind, imageEventIds, toDbTimestamp(kind, createdAt)))
  const seen = new Set<number>()
  return imageEventIds.map((id) => {
    const { row, created } = outcomes.get(id)!
    const first = !seen.has(id)
    seen.add(id)
    return { alert: toAlertRecord(row), created: created && first }
  })
}

/**
 * DeliveryLedger.recordAlerts: the alerts and, for those created here, one receiver row per enabled subscription
 * that wants it; a subscription's digest interval holds an alert as one call per alert would (alerts in
 * ascending event order: the first one after an interval goes at once, the later ones are held until it ends).
 */
export async function recordAlerts(
  db: Kysely<CatalogDatabase>,
  kind: SqlDialectKind,
  entries: readonly AlertToRecord[],
  now: Date,
): Promise<(AlertOutcome & { receivers: ReceiverRecord[] })[]> {
  if (entries.length === 0) return []
  const at = toDbTimestamp(kind, now)
  return alertTransaction(db, kind, async (trx) => {
    const outcomes = await insertAlertsOnce(
      trx,
      kind,
      entries.map((entry) => entry.imageEventId),
      at,
    )
    // An event given twice: its first entry says who wants it, as it is the one `created` goes to.
    const firsts = new Map<number, AlertToRecord>()
    for (const entry of entries) if (!firsts.has(entry.imageEventId)) firsts.set(entry.imageEventId, entry)
    const fresh = [...firsts.values()]
      .filter((entry) => outcomes.get(entry.imageEventId)!.created)
      .sort((a, b) => a.imageEventId - b.imageEventId)
    const delivery = deliveryDb(trx)
    if (fresh.length > 0) {
      const subscriptions = (await selectSubscriptions(delivery, true).execute()).map(toSubscriptionRecord)
      const wanted = fresh.map((entry) => ({
        alertId: toNumber(outcomes.get(entry.imageEventId)!.row.image_event_alert_id),
        subscriptions: subscriptions.filter(entry.wants),
      }))
      const lastSent = await lastDigestSends(delivery, [...new Set(wanted.flatMap((item) => item.subscriptions))])
      const values = []
      for (const { alertId, subscriptions: wanting } of wanted) {
        for (const subscription of wanting) {
          const heldUntil = digestHold(subscription, lastSent, now)
          values.push({
            image_event_alert_id: alertId,
            subscription_id: subscription.subscriptionId,
            delivery_id: randomUUID(),
            status: 'pending',
            digest: heldUntil === null ? 0 : 1,
            attempts: 0,
            next_attempt_at: toDbTimestamp(kind, heldUntil ?? now),
            created_at: at,
          })
        }
      }
      for (const batch of chunks(values)) await delivery.insertInto('image_event_alert_receiver').values(batch).execute()
    }
    const alertIds = [...outcomes.values()].map((outcome) => toNumber(outcome.row.image_event_alert_id))
    const receivers = new Map<number, ReceiverRecord[]>()
    for (const receiver of await selectReceivers(delivery, alertIds)) {
      receivers.set(receiver.imageEventAlertId, [...(receivers.get(receiver.imageEventAlertId) ?? []), receiver])
    }
    const seen = new Set<number>()
    return entries.map((entry) => {
      const { row, created } = outcomes.get(entry.imageEventId)!
      const first = !seen.has(entry.imageEventId)
      seen.add(entry.imageEventId)
      const alert = toAlertRecord(row)
      return { alert, created: created && first, receivers: receivers.get(alert.imageEventAlertId) ?? [] }
    })
  })
}

/** When each digest subscription last sent a message (its newest receiver row not held by the digest). */
async function lastDigestSends(
  delivery: ReturnType<typeof deliveryDb>,
  subscriptions: readonly SubscriptionRecord[],
): Promise<Map<number, number>> {
  const ids = subscriptions.filter((subscription) => (subscription.filter.digestSeconds ?? 0) > 0).map((s) => s.subscriptionId)
  const last = new Map<number, number>()
  if (ids.length === 0) return last
  const rows = await delivery
    .selectFrom('image_event_alert_receiver')
    .select((eb) => ['subscription_id', eb.fn.max('created_at').as('last')])
    .where('subscription_id', 'in', ids)
    .where('digest', '=', 0)
    .groupBy('subscription_id')
    .execute()
  for (const row of rows) {
    if (row.last !== null && row.last !== undefined) last.set(toNumber(row.subscription_id), toDate(row.last as Date | string).getTime())
  }
  return last
}

/** The end of the digest interval holding this alert, or null when it goes at once (and starts a new interval). */
function digestHold(subscription: SubscriptionRecord, lastSent: Map<number, number>, now: Date): Date | null {
  const seconds = subscription.filter.digestSeconds
  if (seconds === undefined || seconds <= 0) return null
  const last = lastSent.get(subscription.subscriptionId)
  const ends = last === undefined ? 0 : last + seconds * 1000
  if (ends > now.getTime()) return new Date(ends)
  lastSent.set(subscription.subscriptionId, now.getTime())
  return null
}

/** Catalog.markAlertsDelivered: one UPDATE; the ids it did not find are reported after the others are marked. */
export async function markAlertsDelivered(
  db: Kysely<CatalogDatabase>,
  imageEventAlertIds: readonly number[],
  deliveredAt: Date | string,
  channels: string | null,
): Promise<void> {
  const ids = distinct(imageEventAlertIds)
  if (ids.length === 0) return
  const updated = await db
    .updateTable('image_event_alert')
    .set({ delivered_at: deliveredAt, delivery_channels: channels })
    .where('image_event_alert_id', 'in', ids)
    .executeTakeFirst()
  // MySQL counts changed rows, not matched ones (see catalog-writes.ts): a short count may be rows already so marked.
  if (updated.numUpdatedRows >= BigInt(ids.length)) return
  const found = await db.selectFrom('image_event_alert').select('image_event_alert_id').where('image_event_alert_id', 'in', ids).execute()
  const present = new Set(found.map((row) => toNumber(row.image_event_alert_id)))
  const missing = ids.filter((id) => !present.has(id))
  if (missing.length > 0) throw new NotFoundError(`no image_event_alert row with image_event_alert_id ${missing.join(', ')}`)
}
