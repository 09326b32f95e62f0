import type { DeliveryOptions } from '../../core/delivery-options.js'
import { DeliveryFailedError, toImgpipeError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import type { CatalogReports } from '../../core/ports/catalog-reports.js'
import type { AlertImage, AlertItem, DeliveryReceipt, DeliveryChannel } from '../../core/ports/delivery-channel.js'
import type { ObjectStore } from '../../core/ports/object-store.js'
import type { AlertView } from '../../core/types.js'
import type { AttemptOutcome, ReceiverRecord, SubscriptionRecord, Subscriptions } from '../../core/ports/subscriptions.js'
import { Coalescer } from '../../core/coalescer.js'
import { sleep } from '../../core/retry.js'
import { readAlertImages } from './alert-images.js'
import { alertItem, alertPayload } from './alert-payload.js'

/** The worker's options (src/core/delivery-options.ts; their defaults are settings). */
export type DeliverySettings = DeliveryOptions

/** Alert views (and subscriptions) kept in memory: a few hundred small records. */
const VIEW_CACHE_SIZE = 512
const SUBSCRIPTION_TTL_MS = 2_000
/** A Retry-After longer than this is taken as this: a target cannot park a receiver for days. */
const MAX_RETRY_AFTER_MS = 3_600_000
/** Receivers whose outcomes one coalesced call records at most. */
const OUTCOMES_PER_UPDATE = 256
/** A claim holds twice the attempt timeout plus this: time for the bookkeeping around the attempt. */
const LEASE_MARGIN_MS = 1_000

/** Exponential backoff with jitter (50–100 % of the step), at least what the target asked for. */
export function nextDelayMs(attempt: number, settings: DeliverySettings, retryAfterMs: number | null, random = Math.random): number {
  const step = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.max(0, attempt - 1))
  const jittered = step * (0.5 + random() / 2)
  return retryAfterMs === null ? jittered : Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS))
}

/** One receiver's attempt outcome from a channel's throw: permanent refusals and the last attempt are dead. */
export function outcomeOfFailure(error: unknown, attempt: number, settings: DeliverySettings, now: Date): AttemptOutcome {
  const failure = toImgpipeError(error)
  const responseCode = failure instanceof DeliveryFailedError ? failure.responseCode : null
  const retryAfterMs = failure instanceof DeliveryFailedError ? failure.retryAfterMs : null
  const message = `${failure.code}: ${failure.message}`
  if (!failure.canRetry || attempt >= settings.maxAttempts) return { kind: 'dead', error: message, responseCode }
  const delay = nextDelayMs(attempt, settings, retryAfterMs)
  return { kind: 'retry', error: message, responseCode, nextAttemptAt: new Date(now.getTime() + delay) }
}

/**
 * Sends what the receiver table holds due, to each subscription's channel: claims due rows (leased, so a
 * crashed worker's rows come back), sends up to `concurrency` at once with a timeout each, and records
 * each outcome. Rows of one subscription held by its digest interval and due together go as one message.
 * Never blocks the pipeline: the alert stage only records rows; this runs beside it or in `imgpipe deliver`.
 */
export class DeliveryWorker {
  readonly stats = { delivered: 0, retried: 0, dead: 0 }
  readonly #inFlight = new Set<Promise<void>>()
  readonly #perSubscription = new Map<number, number>()
  readonly #subscriptionCache = new Map<number, { record: SubscriptionRecord | null; until: number }>()
  readonly #viewCache = new Map<number, AlertView>()
  readonly #stop = new AbortController()
  readonly #outcomes = new Coalescer((items: { receiverIds: number[]; outcome: AttemptOutcome }[]) => this.#recordOutcomes(items), {
    maxBatch: OUTCOMES_PER_UPDATE,
  })
  #wake: (() => void) | undefined
  #loop: Promise<void> | undefined

  constructor(
    private readonly catalog: Pick<CatalogReports, 'getAlertView'>,
    private readonly subscriptions: Subscriptions,
    private readonly channels: ReadonlyMap<string, DeliveryChannel>,
    private readonly settings: DeliverySettings,
    private readonly logger: Logger,
    /** Where the images are, for channels that attach them (e-mail); without it they get none. */
    private readonly store?: ObjectStore,
  ) {}

  start(): void {
    this.#loop ??= this.#run()
  }

  /** Looks for due receivers now (an alert was just recorded). */
  wake(): void {
    this.#wake?.()
  }

  /** Stops claiming and aborts the sends in flight (each is recorded as a failed attempt, retried later), then returns. */
  async stop(): Promise<void> {
    this.#stop.abort()
    this.wake()
    await this.#loop
  }

  /** Runs until no receiver is pending or failed, or `maxWaitMs` passed; then stops. True when drained. */
  async drain(maxWaitMs: number, signal?: AbortSignal): Promise<boolean> {
    this.start()
    const deadline = Date.now() + maxWaitMs
    let open = await this.subscriptions.countOpen()
    while (open > 0 && Date.now() < deadline && signal?.aborted !== true) {
      await sleep(Math.min(100, this.settings.pollMs), signal)
      open = await this.subscriptions.countOpen()
    }
    await this.stop()
    return open === 0
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal
    while (!signal.aborted) {
      const free = this.settings.concurrency - this.#inFlight.size
      let claimed: ReceiverRecord[] = []
      // Claims in batches: one claim per finished send would cost three queries per delivery.
      const batch = this.#inFlight.size === 0 ? 1 : Math.max(1, Math.floor(this.settings.concurrency / 4))
      if (free >= batch) {
        try {
          const lease = 2 * this.settings.timeoutMs + LEASE_MARGIN_MS
          const busy = [...this.#perSubscription].filter(([, count]) => count >= this.settings.perSubscription).map(([id]) => id)
          claimed = await this.subscriptions.claimDue(new Date(), free, lease, busy)
          const overflow: number[] = []
          for (const group of groupDigests(claimed)) {
            const id = group[0]!.subscriptionId
            const count = this.#perSubscription.get(id) ?? 0
            if (count >= this.settings.perSubscription) {
              overflow.push(...group.map((receiver) => receiver.receiverId))
              continue
            }
            this.#perSubscription.set(id, count + 1)
            this.#track(
              this.#deliver(group).finally(() => {
                const left = (this.#perSubscription.get(id) ?? 1) - 1
                if (left === 0) this.#perSubscription.delete(id)
                else this.#perSubscription.set(id, left)
              }),
            )
          }
          // Claimed beyond a subscription's share: given back, so they wait unleased and others go first.
          if (overflow.length > 0) await this.subscriptions.release(overflow, new Date())
          if (overflow.length === claimed.length) claimed = []
        } catch (error) {
          this.logger.warn({ err: error }, 'delivery: claiming due receivers failed, retrying')
        }
      }
      if (claimed.length === 0 || this.settings.concurrency - this.#inFlight.size < batch) await this.#idle()
    }
    await Promise.allSettled([...this.#inFlight])
  }

  #track(task: Promise<void>): void {
    this.#inFlight.add(task)
    void task.finally(() => {
      this.#inFlight.delete(task)
      this.wake()
    })
  }

  /** Waits for a poll interval, a wake-up, or a send to finish (a free slot). */
  async #idle(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.settings.pollMs)
      this.#wake = done
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
    })
    this.#wake = undefined
  }

  /** One message to one subscription: a single receiver, or a digest group. Never throws. */
  async #deliver(group: ReceiverRecord[]): Promise<void> {
    const first = group[0]!
    let outcome: AttemptOutcome
    try {
      const receipt = await this.send(group)
      outcome = { kind: 'delivered', responseCode: receipt.responseCode, at: new Date() }
      this.stats.delivered += group.length
    } catch (error) {
      const failed = outcomeOfFailure(error, first.attempts, this.settings, new Date())
      if (failed.kind === 'dead') this.stats.dead += group.length
      else this.stats.retried += group.length
      const log = {
        deliveryId: first.deliveryId,
        subscriptionId: first.subscriptionId,
        attempt: first.attempts,
        error: failed.kind === 'delivered' ? null : failed.error,
      }
      this.logger.warn(log, failed.kind === 'dead' ? 'delivery failed for good' : 'delivery failed, will retry')
      outcome = failed
    }
    const receiverIds = group.map((receiver) => receiver.receiverId)
    try {
      await this.#outcomes.submit({ receiverIds, outcome })
    } catch (error) {
      // The lease runs out and the receivers are sent again: at-least-once, same delivery id.
      this.logger.warn({ err: error, receiverIds }, 'delivery: recording an attempt failed')
    }
  }

  /**
   * The outcomes of the sends that ended in one turn of the event loop: one UPDATE per distinct outcome rather than
   * one per receiver. Successes with the same response code are one outcome, at the latest of their times (they
   * are milliseconds apart).
   */
  async #recordOutcomes(items: { receiverIds: number[]; outcome: AttemptOutcome }[]): Promise<undefined[]> {
    const groups = new Map<string, { receiverIds: number[]; outcome: AttemptOutcome }>()
    for (const { receiverIds, outcome } of items) {
      const key = outcome.kind === 'delivered' ? `delivered ${outcome.responseCode}` : JSON.stringify(outcome)
      const group = groups.get(key)
      if (group === undefined) groups.set(key, { receiverIds: [...receiverIds], outcome })
      else {
        group.receiverIds.push(...receiverIds)
        if (outcome.kind === 'delivered' && group.outcome.kind === 'delivered' && outcome.at > group.outcome.at) group.outcome = outcome
      }
    }
    await Promise.all([...groups.values()].map(({ receiverIds, outcome }) => this.subscriptions.recordAttempts(receiverIds, outcome)))
    return items.map(() => undefined)
  }

  /** Builds the payload and hands it to the subscription's channel, within the attempt timeout. */
  async send(group: ReceiverRecord[]): Promise<DeliveryReceipt> {
    const first = group[0]!
    const subscription = await this.#subscription(first.subscriptionId)
    if (subscription === null) throw new DeliveryFailedError(`subscription ${first.subscriptionId} no longer exists`, { canRetry: false })
    return this.sendTo(subscription, first.deliveryId, await this.views(group), first.attempts)
  }

  /**
   * Subscriptions change rarely and every delivery needs one: read at most once per SUBSCRIPTION_TTL_MS, so
   * a disabled or edited subscription takes effect within that time.
   */
  async #subscription(id: number): Promise<SubscriptionRecord | null> {
    const cached = this.#subscriptionCache.get(id)
    if (cached !== undefined && cached.until > Date.now()) return cached.record
    const record = await this.subscriptions.findSubscription(id)
    if (this.#subscriptionCache.size >= VIEW_CACHE_SIZE) this.#subscriptionCache.clear()
    this.#subscriptionCache.set(id, { record, until: Date.now() + SUBSCRIPTION_TTL_MS })
    return record
  }

  /** An alert goes to many subscriptions at about the same time: its view is read once (bounded cache). */
  async #view(alertId: number): Promise<AlertView | null> {
    const cached = this.#viewCache.get(alertId)
    if (cached !== undefined) return cached
    const view = await this.catalog.getAlertView(alertId)
    if (view === null) return null
    if (this.#viewCache.size >= VIEW_CACHE_SIZE) this.#viewCache.delete(this.#viewCache.keys().next().value!)
    this.#viewCache.set(alertId, view)
    return view
  }

  /** Also used by `imgpipe subscription test` with a sample alert. */
  async sendTo(subscription: SubscriptionRecord, deliveryId: string, views: AlertView[], attempt: number): Promise<DeliveryReceipt> {
    const items: AlertItem[] = views.map((view) => alertItem(view, this.settings.publicUrl))
    const channel = this.channels.get(subscription.channel)
    if (channel === undefined) throw new DeliveryFailedError(`channel ${subscription.channel} is not configured in this process`)
    const timeout = AbortSignal.timeout(this.settings.timeoutMs)
    const signal = AbortSignal.any([timeout, this.#stop.signal])
    const delivery = {
      deliveryId,
      subscription: {
        subscriptionId: subscription.subscriptionId,
        name: subscription.name,
        target: subscription.target,
        secret: subscription.secret,
      },
      payload: alertPayload(deliveryId, subscription.name, items),
      attempt,
      signal,
      images: () => this.images(views),
    }
    // The race covers a channel that ignores its signal: the slot is freed at the timeout either way.
    return await new Promise<DeliveryReceipt>((resolve, reject) => {
      const onAbort = (): void => reject(new DeliveryFailedError(`no answer within ${this.settings.timeoutMs} ms (timeout)`))
      if (signal.aborted) return onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
      channel
        .send(delivery)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort))
    })
  }

  async views(group: ReceiverRecord[]): Promise<AlertView[]> {
    const views: AlertView[] = []
    for (const receiver of group) {
      const view = await this.#view(receiver.imageEventAlertId)
      if (view !== null) views.push(view)
    }
    if (views.length === 0)
      throw new DeliveryFailedError(`alert ${group[0]!.imageEventAlertId} is no longer in the catalog`, { canRetry: false })
    return views
  }

  /** The alerts' images for channels that attach them (see readAlertImages); none without a store. */
  async images(views: AlertView[]): Promise<AlertImage[]> {
    return this.store === undefined ? [] : readAlertImages(this.store, views, this.logger)
  }
}

/** Digest rows of one subscription claimed together form one message; every other row is its own. */
export function groupDigests(receivers: ReceiverRecord[]): ReceiverRecord[][] {
  const groups: ReceiverRecord[][] = []
  const digests = new Map<number, ReceiverRecord[]>()
  for (const receiver of receivers) {
    if (!receiver.digest) {
      groups.push([receiver])
      continue
    }
    let group = digests.get(receiver.subscriptionId)
    if (group === undefined) {
      group = []
      digests.set(receiver.subscriptionId, group)
      groups.push(group)
    }
    group.push(receiver)
  }
  return groups
}
