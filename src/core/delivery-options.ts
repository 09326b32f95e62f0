/**
 * How the delivery worker sends alerts to subscriptions (`imgpipe alert`, `imgpipe deliver`): the options type the
 * stage takes, here in core so that the configuration (which imports no stage) fills it without repeating it.
 * The defaults of the fields that are settings are in the settings table (src/config/settings.ts).
 */
export interface DeliveryOptions {
  /** Sends in flight at once, over all targets: one slow target holds one slot, not the queue. */
  concurrency: number
  /** Sends in flight to one subscription: a hanging target holds at most this many slots. */
  perSubscription: number
  /** How long one attempt may take before it is abandoned and retried. */
  timeoutMs: number
  /** Attempts before a receiver is `dead`. */
  maxAttempts: number
  /** First retry delay, doubled per attempt (with jitter) up to `backoffMaxMs`. */
  backoffBaseMs: number
  backoffMaxMs: number
  /** How often an idle worker looks for due receivers (a recorded alert wakes it at once). */
  pollMs: number
  /** Absolute base of the links in messages (IMGPIPE_PUBLIC_URL); undefined: no links. */
  publicUrl?: string | undefined
}

/** Sends in flight to one subscription at most: not a setting, so that one target cannot take the whole worker. */
export const DELIVERIES_PER_SUBSCRIPTION = 4

/** The per-subscription limit for a worker of `concurrency` sends: never more than the worker has. */
export function perSubscriptionLimit(concurrency: number): number {
  return Math.max(1, Math.min(concurrency, DELIVERIES_PER_SUBSCRIPTION))
}
