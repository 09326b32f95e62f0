import type { DeliveryLedger } from './delivery-ledger.js'
import type { SubscriptionAdmin } from './subscription-admin.js'

export type { DeliveryLedger } from './delivery-ledger.js'
export type { SubscriptionAdmin } from './subscription-admin.js'

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
  /** Event types (`changed`, `size_changed`, `new_source`, `brightening`, `fading`): the event's must be one of them. */
  eventTypes?: string[]
  /** The image's changed fraction (0..1) must be at least this. */
  minChangedFraction?: number
  /*
   * Detection criteria: the alert passes when one of its event's detections meets all of those given (an alert
   * without detections fails them). Fluxes are difference fluxes, taken as |flux| so a fading source compares
   * like a brightening one (`eventTypes` tells them apart).
   */
  /** Watchlist names: the detection lies inside a cone of one of them. */
  watchlists?: string[]
  /** |S/N| at least this. */
  minSnr?: number
  /** |PSF flux| (ADU) at least this. */
  minFlux?: number
  /** The magnitude of |PSF flux| at the image's zero point at most this (brighter). */
  maxMag?: number
  /** Real-bogus score (0..1) at least this. */
  minRealBogus?: number
  /** The object's detections before this one (its history length) at least this. */
  minDetections?: number
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

/** One detection of the alert's event as filters see it. */
export interface DetectionFacts {
  snr: number
  psfFlux: number
  realBogus: number
  /** The magnitude of |psfFlux| at the image's zero point; null when the flux is 0 or it was not needed. */
  mag: number | null
  /** The object's detections before this one; null when not read (no subscription asks). */
  priorDetections: number | null
  /** Names of the watchlists with a cone containing the detection. */
  watchlists: readonly string[]
}

/** What filters look at: the alert's image and event, and its event's detections when they were read. */
export interface AlertFacts {
  stream: string
  eventType: string
  changedFraction: number | null
  /** Absent: not read (no subscription has a detection criterion, or no ObjectLedger): detection criteria fail. */
  detections?: readonly DetectionFacts[]
}

/** One event for DeliveryLedger.recordAlerts, and which subscriptions want its alert. */
export interface AlertToRecord {
  imageEventId: number
  wants: (subscription: SubscriptionRecord) => boolean
}

/** How many receivers of one subscription are in one status (see DeliveryLedger.tallyReceivers). */
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
 * Subscribers, their subscriptions and one receiver row per alert × subscription: the delivery queue, as the
 * two ports callers take: {@link SubscriptionAdmin} (who wants which alerts how; the CLI and the web) and
 * {@link DeliveryLedger} (the receiver rows; the alert stage, the delivery worker, `imgpipe deliveries`).
 *
 * Kept apart from the Catalog port (same database, same transactions where it matters). Implementations:
 * the three SQL catalogs (`src/adapters/sql/sql-subscriptions.ts`), which serve both ports as one object.
 *
 * Leaves out: sending (the DeliveryChannel adapters and the delivery worker do that), secrets beyond a
 * stored value or an `env:` reference, and per-subscriber quotas.
 */
export type Subscriptions = SubscriptionAdmin & DeliveryLedger
