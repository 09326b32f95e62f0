import type { Kysely } from 'kysely'
import type { ChannelKind, ReceiverStatus, ReceiverTally } from '../../core/ports/subscriptions.js'
import { toNumber } from './row-mappers.js'
import type { DeliveryDatabase } from './subscription-schema.js'

/** The delivery queue's reports for summaries and `imgpipe status`: counts, never rows. */

export async function selectLastReceiverId(db: Kysely<DeliveryDatabase>): Promise<number> {
  const row = await db
    .selectFrom('image_event_alert_receiver')
    .select((eb) => eb.fn.max('receiver_id').as('last'))
    .executeTakeFirst()
  const last = row?.last as number | string | bigint | null | undefined
  return last === null || last === undefined ? 0 : toNumber(last)
}

export async function selectReceiverTally(
  db: Kysely<DeliveryDatabase>,
  query: { afterReceiverId?: number; statuses?: readonly ReceiverStatus[] },
): Promise<ReceiverTally[]> {
  if (query.statuses !== undefined && query.statuses.length === 0) return []
  const rows = await db
    .selectFrom('image_event_alert_receiver as r')
    .innerJoin('image_event_subscription as s', 's.subscription_id', 'r.subscription_id')
    .innerJoin('image_event_subscriber as b', 'b.subscriber_id', 's.subscriber_id')
    .select((eb) => ['r.subscription_id', 's.name', 'b.name as subscriber', 's.channel', 'r.status', eb.fn.countAll().as('count')])
    .$if(query.afterReceiverId !== undefined, (q) => q.where('r.receiver_id', '>', query.afterReceiverId ?? 0))
    .$if(query.statuses !== undefined, (q) => q.where('r.status', 'in', [...(query.statuses ?? [])]))
    .groupBy(['r.subscription_id', 's.name', 'b.name', 's.channel', 'r.status'])
    .orderBy('r.subscription_id')
    .orderBy('r.status')
    .execute()
  return rows.map((row) => ({
    subscriptionId: toNumber(row.subscription_id),
    subscription: row.name,
    subscriber: row.subscriber,
    channel: row.channel as ChannelKind,
    status: row.status as ReceiverStatus,
    count: toNumber(row.count as number | string | bigint),
  }))
}
