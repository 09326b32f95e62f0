import type { AlertRecord } from '../types.js'
import type {
  AlertFacts,
  AlertToRecord,
  AttemptOutcome,
  ReceiverQuery,
  ReceiverRecord,
  ReceiverStatus,
  ReceiverTally,
  SubscriptionRecord,
} from './subscriptions.js'

/**
 * One receiver row per alert × subscription: the delivery queue. The alert stage records alerts with their
 * receivers, the delivery worker claims and settles them, `imgpipe deliveries` lists, retries and replays them.
 *
 * Batch methods only: one alert or one receiver is a batch of one, so there is one code path (and one
 * statement count) for every caller.
 */
export interface DeliveryLedger {
  /**
   * In one transaction and a fixed number of statements (one multi-row insert of the alerts, one of their receiver
   * rows): inserts each event's alert unless it exists and, when it is new, one receiver row for each enabled
   * subscription its entry `wants`. A redelivered message finds the alert and adds nothing. Outcomes in the order
   * of `entries`; an event given twice is `created` once at most. Callers racing on overlapping events get one
   * alert per event, `created` for exactly one of them, and only that one adds its receivers. Digest intervals
   * hold alerts as one call per event, in ascending event order, would.
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
  /**
   * Records one attempt's outcome for the given receivers (one, a digest group, sends that ended together) in
   * one UPDATE. A failure reported late never undoes a success.
   */
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
