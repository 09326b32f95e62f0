import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import { ClosedError } from '../../core/errors.js'
import type {
  AlertFacts,
  AlertToRecord,
  AttemptOutcome,
  NewSubscription,
  ReceiverQuery,
  ReceiverRecord,
  ReceiverStatus,
  ReceiverTally,
  SubscriberRecord,
  SubscriptionRecord,
  Subscriptions,
} from '../../core/ports/subscriptions.js'
import type { AlertRecord } from '../../core/types.js'
import type { CatalogDatabase } from './catalog-schema.js'
import { recordAlerts } from './catalog-alert-writes.js'
import { toNumber } from './row-mappers.js'
import { toDbTimestamp } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'
import { classifyDriverError, toCatalogError } from './sql-errors.js'
import type { DriverErrorClassifier } from './sql-errors.js'
import { selectReceivers, selectSubscriptions, toReceiverRecord, toSubscriberRecord, toSubscriptionRecord } from './subscription-rows.js'
import { selectLastReceiverId, selectReceiverTally } from './subscription-reports.js'
import { deliveryDb } from './subscription-schema.js'
import type { DeliveryDatabase } from './subscription-schema.js'

/** What the SQL catalog shares with its Subscriptions: the connection, the dialect and whether it closed. */
export interface SubscriptionsBackend {
  readonly kind: SqlDialectKind
  readonly description: string
  readonly db: Kysely<CatalogDatabase>
  readonly classifyError: DriverErrorClassifier
  isClosed(): boolean
}

const MAX_ERROR = 1024
const CONTENTION_ATTEMPTS = 3
/** Alerts a replay looks at per query. */
const REPLAY_PAGE = 500

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text
}

export function createSqlSubscriptions(backend: SubscriptionsBackend): Subscriptions {
  return new SqlSubscriptions(backend)
}

class SqlSubscriptions implements Subscriptions {
  readonly #backend: SubscriptionsBackend

  constructor(backend: SubscriptionsBackend) {
    this.#backend = backend
  }

  #ts(date: Date): Date | string {
    return toDbTimestamp(this.#backend.kind, date)
  }

  /** Closed check, driver errors → ours, and (for idempotent work) a rerun after a deadlock. */
  async #run<T>(operation: string, work: (db: Kysely<DeliveryDatabase>) => Promise<T>): Promise<T> {
    const { backend } = { backend: this.#backend }
    for (let attempt = 1; ; attempt += 1) {
      if (backend.isClosed()) throw new ClosedError('catalog')
      try {
        return await work(deliveryDb(backend.db))
      } catch (error) {
        if (backend.isClosed()) throw new ClosedError('catalog')
        if (attempt < CONTENTION_ATTEMPTS && classifyDriverError(error, backend.classifyError) === 'contention') continue
        throw toCatalogError(error, backend.classifyError, `subscriptions ${operation} (${backend.description})`)
      }
    }
  }

  addSubscriber(subscriber: { name: string; contact: string | null }): Promise<SubscriberRecord> {
    return this.#run('addSubscriber', async (db) => {
      await db
        .insertInto('image_event_subscriber')
        .values({ name: subscriber.name, contact: subscriber.contact, enabled: 1, created_at: this.#ts(new Date()) })
        .execute()
      const row = await db.selectFrom('image_event_subscriber').selectAll().where('name', '=', subscriber.name).executeTakeFirstOrThrow()
      return toSubscriberRecord(row)
    })
  }

  listSubscribers(): Promise<SubscriberRecord[]> {
    return this.#run('listSubscribers', async (db) =>
      (await db.selectFrom('image_event_subscriber').selectAll().orderBy('subscriber_id').execute()).map(toSubscriberRecord),
    )
  }

  findSubscriber(idOrName: number | string): Promise<SubscriberRecord | null> {
    return this.#run('findSubscriber', async (db) => {
      const query = db.selectFrom('image_event_subscriber').selectAll()
      const row = await (
        typeof idOrName === 'number' ? query.where('subscriber_id', '=', idOrName) : query.where('name', '=', idOrName)
      ).executeTakeFirst()
      return row === undefined ? null : toSubscriberRecord(row)
    })
  }

  async removeSubscriber(idOrName: number | string): Promise<boolean> {
    const found = await this.findSubscriber(idOrName)
    if (found === null) return false
    return this.#run('removeSubscriber', async (db) => {
      const result = await db.deleteFrom('image_event_subscriber').where('subscriber_id', '=', found.subscriberId).executeTakeFirst()
      return result.numDeletedRows > 0n
    })
  }

  addSubscription(subscription: NewSubscription): Promise<SubscriptionRecord> {
    return this.#run('addSubscription', async (db) => {
      const now = this.#ts(new Date())
      await db
        .insertInto('image_event_subscription')
        .values({
          subscriber_id: subscription.subscriberId,
          name: subscription.name,
          channel: subscription.channel,
          target: subscription.target,
          secret_ref: subscription.secret,
          filter: JSON.stringify(subscription.filter),
          enabled: 1,
          created_at: now,
          updated_at: now,
        })
        .execute()
      const row = await db
        .selectFrom('image_event_subscription')
        .selectAll()
        .where('name', '=', subscription.name)
        .executeTakeFirstOrThrow()
      return toSubscriptionRecord(row)
    })
  }

  listSubscriptions(options: { enabledOnly?: boolean } = {}): Promise<SubscriptionRecord[]> {
    return this.#run('listSubscriptions', async (db) => {
      const rows = await selectSubscriptions(db, options.enabledOnly === true).execute()
      return rows.map(toSubscriptionRecord)
    })
  }

  findSubscription(idOrName: number | string): Promise<SubscriptionRecord | null> {
    return this.#run('findSubscription', async (db) => {
      const query = db.selectFrom('image_event_subscription').selectAll()
      const row = await (
        typeof idOrName === 'number' ? query.where('subscription_id', '=', idOrName) : query.where('name', '=', idOrName)
      ).executeTakeFirst()
      return row === undefined ? null : toSubscriptionRecord(row)
    })
  }

  async removeSubscription(idOrName: number | string): Promise<boolean> {
    const found = await this.findSubscription(idOrName)
    if (found === null) return false
    return this.#run('removeSubscription', async (db) => {
      const result = await db.deleteFrom('image_event_subscription').where('subscription_id', '=', found.subscriptionId).executeTakeFirst()
      return result.numDeletedRows > 0n
    })
  }

  async setSubscriptionEnabled(idOrName: number | string, enabled: boolean): Promise<boolean> {
    const found = await this.findSubscription(idOrName)
    if (found === null) return false
    await this.#run('setSubscriptionEnabled', (db) =>
      db
        .updateTable('image_event_subscription')
        .set({ enabled: enabled ? 1 : 0, updated_at: this.#ts(new Date()) })
        .where('subscription_id', '=', found.subscriptionId)
        .execute(),
    )
    return true
  }

  recordAlerts(
    entries: readonly AlertToRecord[],
    now: Date,
  ): Promise<{ alert: AlertRecord; created: boolean; receivers: ReceiverRecord[] }[]> {
    // The catalog's Kysely: the alert writes span the catalog's tables and the delivery ones.
    return this.#run('recordAlerts', () => recordAlerts(this.#backend.db, this.#backend.kind, entries, now))
  }

  claimDue(now: Date, limit: number, leaseMs: number, excludeSubscriptionIds: readonly number[] = []): Promise<ReceiverRecord[]> {
    return this.#run('claimDue', async (db) => {
      const candidates = await db
        .selectFrom('image_event_alert_receiver')
        .select('receiver_id')
        .where('status', 'in', ['pending', 'failed'])
        .where('next_attempt_at', '<=', this.#ts(now))
        .$if(excludeSubscriptionIds.length > 0, (q) => q.where('subscription_id', 'not in', [...excludeSubscriptionIds]))
        .orderBy('next_attempt_at')
        .orderBy('receiver_id')
        .limit(limit)
        .execute()
      if (candidates.length === 0) return []
      const token = randomUUID()
      // The conditions again: a row another worker claimed meanwhile no longer matches and stays theirs.
      await db
        .updateTable('image_event_alert_receiver')
        .set({
          claim_token: token,
          next_attempt_at: this.#ts(new Date(now.getTime() + leaseMs)),
          attempts: sql<number>`attempts + 1`,
        })
        .where(
          'receiver_id',
          'in',
          candidates.map((row) => row.receiver_id),
        )
        .where('status', 'in', ['pending', 'failed'])
        .where('next_attempt_at', '<=', this.#ts(now))
        .execute()
      const rows = await db
        .selectFrom('image_event_alert_receiver')
        .selectAll()
        .where('claim_token', '=', token)
        .orderBy('receiver_id')
        .execute()
      return rows.map(toReceiverRecord)
    })
  }

  release(receiverIds: readonly number[], now: Date): Promise<void> {
    if (receiverIds.length === 0) return Promise.resolve()
    return this.#run('release', async (db) => {
      await db
        .updateTable('image_event_alert_receiver')
        .set({ next_attempt_at: this.#ts(now), attempts: sql<number>`attempts - 1`, claim_token: null })
        .where('receiver_id', 'in', [...receiverIds])
        .where('status', 'in', ['pending', 'failed'])
        .execute()
    })
  }

  recordAttempts(receiverIds: readonly number[], outcome: AttemptOutcome): Promise<void> {
    if (receiverIds.length === 0) return Promise.resolve()
    return this.#run('recordAttempts', async (db) => {
      const base = db.updateTable('image_event_alert_receiver').where('receiver_id', 'in', [...receiverIds])
      if (outcome.kind === 'delivered') {
        await base
          .set({
            status: 'delivered',
            delivered_at: this.#ts(outcome.at),
            response_code: outcome.responseCode,
            last_error: null,
            claim_token: null,
          })
          .execute()
        return
      }
      // A slow worker whose lease ran out must not undo another worker's success.
      await base
        .set({
          status: outcome.kind === 'retry' ? 'failed' : 'dead',
          last_error: truncate(outcome.error, MAX_ERROR),
          response_code: outcome.responseCode,
          claim_token: null,
          ...(outcome.kind === 'retry' ? { next_attempt_at: this.#ts(outcome.nextAttemptAt) } : {}),
        })
        .where('status', '<>', 'delivered')
        .execute()
    })
  }

  listReceivers(query: ReceiverQuery): Promise<ReceiverRecord[]> {
    return this.#run('listReceivers', async (db) => {
      const rows = await db
        .selectFrom('image_event_alert_receiver')
        .selectAll()
        .$if(query.status !== undefined, (q) => q.where('status', '=', query.status ?? ''))
        .$if(query.imageEventAlertId !== undefined, (q) => q.where('image_event_alert_id', '=', query.imageEventAlertId ?? 0))
        .$if(query.subscriptionId !== undefined, (q) => q.where('subscription_id', '=', query.subscriptionId ?? 0))
        .where('receiver_id', '>', query.afterId ?? 0)
        .orderBy('receiver_id')
        .limit(query.limit)
        .execute()
      return rows.map(toReceiverRecord)
    })
  }

  receiversOfAlert(imageEventAlertId: number): Promise<ReceiverRecord[]> {
    return this.#run('receiversOfAlert', (db) => selectReceivers(db, [imageEventAlertId]))
  }

  retry(options: { imageEventAlertId?: number; status?: 'failed' | 'dead'; now: Date }): Promise<number> {
    return this.#run('retry', async (db) => {
      const result = await db
        .updateTable('image_event_alert_receiver')
        .set({ status: 'pending', attempts: 0, next_attempt_at: this.#ts(options.now), claim_token: null })
        .where('status', 'in', options.status === undefined ? ['failed', 'dead'] : [options.status])
        .$if(options.imageEventAlertId !== undefined, (q) => q.where('image_event_alert_id', '=', options.imageEventAlertId ?? 0))
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    })
  }

  replay(options: {
    since: Date
    subscriptionId?: number
    wants: (subscription: SubscriptionRecord, facts: AlertFacts) => boolean
    now: Date
  }): Promise<number> {
    const since = this.#ts(options.since)
    const now = this.#ts(options.now)
    return this.#run('replay', async (db) => {
      const subscriptions = (await selectSubscriptions(db, true).execute())
        .map(toSubscriptionRecord)
        .filter((subscription) => options.subscriptionId === undefined || subscription.subscriptionId === options.subscriptionId)
      let count = 0
      for (const subscription of subscriptions) {
        const reset = await db
          .updateTable('image_event_alert_receiver')
          .set({ status: 'pending', attempts: 0, digest: 0, next_attempt_at: now, claim_token: null, delivered_at: null })
          .where('subscription_id', '=', subscription.subscriptionId)
          .where('image_event_alert_id', 'in', (eb) =>
            eb.selectFrom('image_event_alert').select('image_event_alert_id').where('created_at', '>=', since),
          )
          .executeTakeFirst()
        count += Number(reset.numUpdatedRows)
        count += await this.#addMissingReceivers(db, subscription, since, now, options.wants)
      }
      return count
    })
  }

  /** Receivers for alerts since `since` that the subscription wants and has no row for (it is newer than them). */
  async #addMissingReceivers(
    db: Kysely<DeliveryDatabase>,
    subscription: SubscriptionRecord,
    since: Date | string,
    now: Date | string,
    wants: (subscription: SubscriptionRecord, facts: AlertFacts) => boolean,
  ): Promise<number> {
    let added = 0
    let afterId = 0
    for (;;) {
      const rows = await db
        .selectFrom('image_event_alert as a')
        .innerJoin('image_event as e', 'e.image_event_id', 'a.image_event_id')
        .innerJoin('image_metadata as i', 'i.image_id', 'e.image_id')
        .leftJoin('image_event_alert_receiver as r', (join) =>
          join.onRef('r.image_event_alert_id', '=', 'a.image_event_alert_id').on('r.subscription_id', '=', subscription.subscriptionId),
        )
        .select(['a.image_event_alert_id', 'i.stream', 'e.event_type', 'i.changed_fraction'])
        .where('a.created_at', '>=', since)
        .where('r.receiver_id', 'is', null)
        .where('a.image_event_alert_id', '>', afterId)
        .orderBy('a.image_event_alert_id')
        .limit(REPLAY_PAGE)
        .execute()
      if (rows.length === 0) return added
      afterId = toNumber(rows[rows.length - 1]!.image_event_alert_id)
      const values = rows
        .filter((row) => wants(subscription, { stream: row.stream, eventType: row.event_type, changedFraction: row.changed_fraction }))
        .map((row) => ({
          image_event_alert_id: toNumber(row.image_event_alert_id),
          subscription_id: subscription.subscriptionId,
          delivery_id: randomUUID(),
          status: 'pending',
          next_attempt_at: now,
          created_at: now,
        }))
      if (values.length > 0) await db.insertInto('image_event_alert_receiver').values(values).execute()
      added += values.length
    }
  }

  countOpen(): Promise<number> {
    return this.#run('countOpen', async (db) => {
      const row = await db
        .selectFrom('image_event_alert_receiver')
        .select((eb) => eb.fn.countAll().as('open'))
        .where('status', 'in', ['pending', 'failed'])
        .executeTakeFirst()
      return toNumber((row?.open ?? 0) as number | string | bigint)
    })
  }

  lastReceiverId(): Promise<number> {
    return this.#run('lastReceiverId', selectLastReceiverId)
  }

  tallyReceivers(query: { afterReceiverId?: number; statuses?: readonly ReceiverStatus[] } = {}): Promise<ReceiverTally[]> {
    return this.#run('tallyReceivers', (db) => selectReceiverTally(db, query))
  }
}
