import type {
  AlertFilter,
  ChannelKind,
  ReceiverRecord,
  ReceiverStatus,
  SubscriberRecord,
  SubscriptionRecord,
} from '../../core/ports/subscriptions.js'
import { toDate, toDateOrNull, toNumber, toNumberOrNull } from './row-mappers.js'
import type { ReceiverRow, SubscriberRow, SubscriptionRow } from './subscription-schema.js'

/** Rows of the delivery tables → records (same conventions as row-mappers.ts). */

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
