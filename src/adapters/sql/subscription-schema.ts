import type { ColumnType, Generated, Kysely, Selectable } from 'kysely'
import type { CatalogDatabase } from './catalog-schema.js'

/** The delivery tables of migration 0003, as Kysely sees them (see catalog-schema.ts for the column types). */
type DefaultedTimestamp = ColumnType<Date | string, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | string | null, Date | string | null | undefined, Date | string | null>
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>
/** PostgreSQL may return integers as strings; booleans are 0/1 integers. */
type Int = ColumnType<number | string, number | undefined, number>

export interface SubscriberTable {
  subscriber_id: Generated<number>
  name: string
  contact: Nullable<string>
  enabled: Int
  created_at: DefaultedTimestamp
}

export interface SubscriptionTable {
  subscription_id: Generated<number>
  subscriber_id: number
  name: string
  channel: string
  target: string
  secret_ref: Nullable<string>
  filter: string
  enabled: Int
  created_at: DefaultedTimestamp
  updated_at: DefaultedTimestamp
}

export interface ReceiverTable {
  receiver_id: Generated<number>
  image_event_alert_id: number
  subscription_id: number
  delivery_id: string
  status: string
  digest: Int
  attempts: Int
  next_attempt_at: DefaultedTimestamp
  claim_token: Nullable<string>
  last_error: Nullable<string>
  response_code: Nullable<number>
  created_at: DefaultedTimestamp
  delivered_at: NullableTimestamp
}

/**
 * The delivery tables alone: the catalog's Kysely is widened by them (Kysely.withTables), not cast. A type, not an
 * interface: withTables wants an indexable record type.
 */
type DeliveryTables = {
  image_event_subscriber: SubscriberTable
  image_event_subscription: SubscriptionTable
  image_event_alert_receiver: ReceiverTable
}

export type DeliveryDatabase = CatalogDatabase & DeliveryTables

export type SubscriberRow = Selectable<SubscriberTable>
export type SubscriptionRow = Selectable<SubscriptionTable>
export type ReceiverRow = Selectable<ReceiverTable>

/** Children first: the order for deletes and drops, before the catalog's own tables. */
export const DELIVERY_TABLES_CHILDREN_FIRST = ['image_event_alert_receiver', 'image_event_subscription', 'image_event_subscriber'] as const

export function deliveryDb(db: Kysely<CatalogDatabase>): Kysely<DeliveryDatabase> {
  return db.withTables<DeliveryTables>()
}
