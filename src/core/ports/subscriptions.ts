import type { AlertRecord } from '../types.js'

/** Where a subscription's alerts go; each is a DeliveryChannel adapter under `src/adapters/<channel>/`. */
export const CHANNEL_KINDS = ['webhook', 'slack', 'smtp', 'kafka-topic'] as const
export type ChannelKind = (typeof CHANNEL_KINDS)[number]

/**
 * `pending`: not sent yet (or claimed by a worker); `failed`: the last attempt failed and another one is
 * scheduled; `delivered`: the target accepted it; `dead`: permanently refused or out of attempts.
 */
export const RECEIVER_STATUSES = ['pending', 'failed', 'delivered', 'dead'] as const
export type ReceiverStatus = (typeof RECEIVER_STATUSES)[number]

/** Which alerts a subscription wants. Every given criterion must hold; an empty filter takes every alert. */
export interface AlertFilter {
  /** Stream names or globs (`*`, `?`): at least one must match the image's stream. */
  streams?: string[]
  /** Event types (`changed`, `size_changed`): the event's must be one of them. */
  eventTypes?: string[]
  /** The image's changed fraction (0..1) must be at least this. */
  minChangedFraction?: number
  /**
   * At most one message per this many seconds: alerts within the interval after a message are held and
   * sent together as one digest at the interval's end.
   */
  digestSeconds?: number
}

export interface SubscriberRecord {
  subscriberId: number
  name: string
  contact: string | null
  enabled: boolean
  createdAt: Date
}

export interface NewSubscription {
  subscriberId: number
  name: string
  channel: ChannelKind
  /** URL (webhook, slack), `mailto:`-less address list for smtp, topic name for kafka-topic. */
  target: string
  /** A secret (`whsec_…`) or a reference to one (`env:VAR`); null when the channel needs none. */
  secret: string | null
  filter: AlertFilter
}

export interface SubscriptionRecord extends NewSubscription {
  subscriptionId: number
  enabled: boolean
  createdAt: Date
  updatedAt: Date
}

export interface ReceiverRecord {
  receiverId: number
  imageEventAlertId: number
  subscriptionId: number
  /** Stable across retries and replays: targets de-duplicate on it (CloudEvents id, `webhook-id`). */
  deliveryId: string
  status: ReceiverStatus
  /** Held by a subscription's digest interval: sent together with the others held at the same time. */
  digest: boolean
  attempts: number
  nextAttemptAt: Date
  lastError: string | null
  responseCode: number | null
  createdAt: Date
  deliveredAt: Date | null
}

/** What a worker reports after one attempt of one receiver. */
export type AttemptOutcome =
  | { kind: 'delivered'; responseCode: number | null; at: Date }
  | { kind: 'retry'; error: string; responseCode: number | null; nextAttemptAt: Date }
  | { kind: 'dead'; error: string; responseCode: number | null }

/** What filters look at: the alert's image and event. */
export interface AlertFacts {
  stream: string
  eventType: string
  changedFraction: number | null
}

/** One event for Subscriptions.recordAlerts, and which subscriptions want its alert. */
export interface AlertToRecord {
  imageEventId: number
  wants: (subscription: SubscriptionRecord) => boolean
}

/** How many receivers of one subscription are in one status (see Subscriptions.tallyReceivers). */
export interface ReceiverTally {
  subscriptionId: number
  subscription: string
  subscriber: string
  channel: ChannelKind
  status: ReceiverStatus
  count: number
}

export interface ReceiverQuery {
  status?: ReceiverStatus
  imageEventAlertId?: number
  subscriptionId?: number
  limit: number
  afterId?: number
}

/**
 * Subscribers, their subscriptions and one receiver row per alert × subscription: the delivery queue.
 *
 * Kept apart from the Catalog port (same database, same transactions where it matters). Implementations:
 * the three SQL catalogs (`src/adapters/sql/sql-subscriptions.ts`).
 *
 * Leaves out: sending (the DeliveryChannel adapters and the delivery worker do that), secrets beyond a
 * stored value or an `env:` reference, and per-subscriber quotas.
 */
export interface Subscriptions {
  addSubscriber(subscriber: { name: string; contact: string | null }): Promise<SubscriberRecord>
  listSubscribers(): Promise<SubscriberRecord[]>
  /** By number or name; also removes its subscriptions and their receivers. False when there was none. */
  removeSubscriber(idOrName: number | string): Promise<boolean>
  findSubscriber(idOrName: number | string): Promise<SubscriberRecord | null>

  addSubscription(subscription: NewSubscription): Promise<SubscriptionRecord>
  listSubscriptions(options?: { enabledOnly?: boolean }): Promise<SubscriptionRecord[]>
  findSubscription(idOrName: number | string): Promise<SubscriptionRecord | null>
  /** Also removes its receiver rows. False when there was none. */
  removeSubscription(idOrName: number | string): Promise<boolean>
  setSubscriptionEnabled(idOrName: number | string, enabled: boolean): Promise<boolean>

  /**
   * In one transaction: inserts the event's alert unless it exists and, when it is new, one receiver row
   * for each enabled subscription `wants`. A redelivered message finds the alert and adds nothing.
   */
  recordAlert(
    imageEventId: number,
    wants: (subscription: SubscriptionRecord) => boolean,
    now: Date,
  ): Promise<{ alert: AlertRecord; created: boolean; receivers: ReceiverRecord[] }>
  /**
   * recordAlert for many events in one transaction and a fixed number of statements (one multi-row insert of the
   * alerts, one of their receiver rows): the alert stage's batch. Outcomes in the order of `entries`; an event given
   * twice is `created` once at most. Callers racing on overlapping events get one alert per event, `created` for
   * exactly one of them, and only that one adds its receivers. Digest intervals hold alerts as one recordAlert call
   * per event, in ascending event order, would.
   */
  recordAlerts(
    entries: readonly AlertToRecord[],
    now: Date,
  ): Promise<{ alert: AlertRecord; created: boolean; receivers: ReceiverRecord[] }[]>

  /**
   * Claims up to `limit` receivers that are due (pending or failed, next attempt ≤ now) for `leaseMs`:
   * their next attempt moves to now + lease and `attempts` grows by one, so another worker does not take
   * them, and a worker that dies mid-delivery gives them back when the lease runs out. Receivers of
   * `excludeSubscriptionIds` (targets already busy in this worker) are left for later.
   */
  claimDue(now: Date, limit: number, leaseMs: number, excludeSubscriptionIds?: readonly number[]): Promise<ReceiverRecord[]>
  /** Gives claimed receivers back unattempted: due at `now`, attempts as before the claim. */
  release(receiverIds: readonly number[], now: Date): Promise<void>
  /** Records one attempt's outcome. */
  recordAttempt(receiverId: number, outcome: AttemptOutcome): Promise<void>
  /** recordAttempt of one outcome for many receivers (a digest group, sends that ended together), in one UPDATE. */
  recordAttempts(receiverIds: readonly number[], outcome: AttemptOutcome): Promise<void>
  listReceivers(query: ReceiverQuery): Promise<ReceiverRecord[]>
  /** When the alert's receivers are wanted by the viewer. */
  receiversOfAlert(imageEventAlertId: number): Promise<ReceiverRecord[]>
  /** Failed and dead receivers (optionally of one alert) become pending, due now. Returns how many. */
  retry(options: { imageEventAlertId?: number; status?: 'failed' | 'dead'; now: Date }): Promise<number>
  /**
   * Re-delivers alerts created at or after `since` to a subscription (or all): existing receiver rows
   * become pending again (same delivery id), and alerts the subscription wants but has no row for get one.
   */
  replay(options: {
    since: Date
    subscriptionId?: number
    wants: (subscription: SubscriptionRecord, facts: AlertFacts) => boolean
    now: Date
  }): Promise<number>
  /** Receivers not yet delivered or dead: what a drained pipeline waits for. */
  countOpen(): Promise<number>
  /** The highest receiver id there is (0 when there is none): receivers recorded later have higher ones. */
  lastReceiverId(): Promise<number>
  /**
   * Receivers per subscription and status, with the subscription's channel and names, ordered by subscription
   * and status: of those numbered after `afterReceiverId` (what a run recorded) and in `statuses`, when given.
   */
  tallyReceivers(query?: { afterReceiverId?: number; statuses?: readonly ReceiverStatus[] }): Promise<ReceiverTally[]>
}
