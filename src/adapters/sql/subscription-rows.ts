import type {
  AlertFilter,
  ChannelKind,
  ReceiverRecord,
  ReceiverStatus,
  SubscriberRecord,
  SubscriptionRecord,
} from '../../core/ports/subscriptions.js'
import type { Kysely, Transaction } from 'kysely'
import { toDate, toDateOrNull, toNumber, toNumberOrNull } from './row-mappers.js'
import type { DeliveryDatabase, ReceiverRow, SubscriberRow, SubscriptionRow } from './subscription-schema.js'

/** Rows of the delivery tables → records (same conventions as row-mappers.ts), and the two reads shared by their writers. */

type Db = Kysely<DeliveryDatabase> | Transaction<DeliveryDatabase>

export function toSubscriberRecord(row: SubscriberRow): SubscriberRecord {
  return {
    subscriberId: toNumber(row.subscriber_id),
    name: row.name,
    contact: row.contact,
    enabled: toNumber(row.enabled) !== 0,
    createdAt: toDate(row.created_at),
  }
}

function parseFilter(text: string): AlertFilter {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as AlertFilter) : {}
  } catch {
    // A filter edited by hand into something unreadable matches nothing rather than everything.
    return { streams: [] }
  }
}

export function toSubscriptionRecord(row: SubscriptionRow): SubscriptionRecord {
  return {
    subscriptionId: toNumber(row.subscription_id),
    subscriberId: toNumber(row.subscriber_id),
    name: row.name,
    channel: row.channel as ChannelKind,
    target: row.target,
    secret: row.secret_ref,
    filter: parseFilter(row.filter),
    enabled: toNumber(row.enabled) !== 0,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  }
}

export function toReceiverRecord(row: ReceiverRow): ReceiverRecord {
  return {
    receiverId: toNumber(row.receiver_id),
    imageEventAlertId: toNumber(row.image_event_alert_id),
    subscriptionId: toNumber(row.subscription_id),
    deliveryId: row.delivery_id,
    status: row.status as ReceiverStatus,
    digest: toNumber(row.digest) !== 0,
    attempts: toNumber(row.attempts),
    nextAttemptAt: toDate(row.next_attempt_at),
    lastError: row.last_error,
    responseCode: toNumberOrNull(row.response_code),
    createdAt: toDate(row.created_at),
    deliveredAt: toDateOrNull(row.delivered_at),
  }
}

/** Subscriptions by id (only the enabled ones of enabled subscribers, when asked). */
export function selectSubscriptions(db: Db, enabledOnly: boolean) {
  return db
    .selectFrom('image_event_subscription as s')
    .innerJoin('image_event_subscriber as b', 'b.subscriber_id', 's.subscriber_id')
    .selectAll('s')
    .$if(enabledOnly, (q) => q.where('s.enabled', '=', 1).where('b.enabled', '=', 1))
    .orderBy('s.subscription_id')
}

/** The receiver rows of these alerts, by id. */
export async function selectReceivers(db: Db, imageEventAlertIds: readonly number[]): Promise<ReceiverRecord[]> {
  if (imageEventAlertIds.length === 0) return []
  const rows = await db
    .selectFrom('image_event_alert_receiver')
    .selectAll()
    .where('image_event_alert_id', 'in', [...imageEventAlertIds])
    .orderBy('receiver_id')
    .execute()
  return rows.map(toReceiverRecord)
}
