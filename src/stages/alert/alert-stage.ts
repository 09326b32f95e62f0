import { Coalescer } from '../../core/coalescer.js'
import { NotFoundError } from '../../core/errors.js'
import { parseImageEventAlertMessage } from '../../core/messages.js'
import type { ReceivedMessage, Subscription } from '../../core/ports/bus.js'
import type { Delivery, DeliveryChannel } from '../../core/ports/delivery-channel.js'
import type { AlertFacts, DeliveryLedger, SubscriptionRecord } from '../../core/ports/subscriptions.js'
import type { AlertRecord, ImageEventRecord, ImageRecord } from '../../core/types.js'
import { AlertFactsReader, type AlertFactsSources } from './alert-facts.js'
import { matchesFilter } from './alert-filter.js'
import { readAlertImages } from './alert-images.js'
import { alertItem, alertPayload } from './alert-payload.js'
import { consumeTopic } from '../message-worker.js'
import type { AlertLedger } from '../../core/ports/alert-ledger.js'
import { forEachPendingPage, retrying, type StageContext } from '../stage-context.js'
import { ROW_WAIT_MS, waitForRow } from '../wait-for-row.js'

/** Keys per coalesced catalog call at most: a consumer batch, or a page of recovery. */
const MAX_COALESCED = 500

/** Where the alert stage records receiver rows, and what it reads to evaluate the subscriptions' filters. */
export interface AlertDelivery {
  /** Receiver rows are recorded with the alert. */
  subscriptions: DeliveryLedger
  /** Wakes the delivery worker when receivers were recorded. */
  onRecorded?: () => void
  /**
   * The ObjectLedger (detections, objects, watchlists) and the enabled filters, for the detection criteria
   * (alert-facts.ts). Absent: alerts carry no detections, and a subscription with a detection criterion gets none.
   */
  facts?: AlertFactsSources
}

interface EventWithImage {
  event: ImageEventRecord
  image: ImageRecord
}

/**
 * The alert stage: records one `image_event_alert` row per event (unique on image_event_id, so a
 * redelivered message finds the existing alert), with a receiver row per subscription that wants it (sent
 * later by the delivery worker), and hands it to the channels of this process (the log) through the same
 * channel port the worker uses. Delivery is at-least-once: `delivered_at` and `delivery_channels` are set
 * after all of this process's channels accepted, and undelivered alerts are retried when the stage starts again.
 *
 * It handles a whole consumer batch at once, and the handlers' catalog calls are coalesced step by step (reading
 * the events, recording the alerts and their receiver rows, marking them delivered): a batch costs a few
 * statements, not a few per message. Each message still succeeds or fails on its own.
 */
export class AlertStage {
  /** Alerts this process delivered (not the catalog's totals). */
  readonly stats = { delivered: 0 }
  readonly #events = new Coalescer((ids: number[]) => this.#readEvents(ids), { maxBatch: MAX_COALESCED })
  readonly #alerts = new Coalescer((events: EventWithImage[]) => this.#recordAlerts(events), { maxBatch: MAX_COALESCED })
  readonly #delivered = new Coalescer((ids: number[]) => this.#markDelivered(ids), { maxBatch: MAX_COALESCED })
  /** Deliveries under way here, by alert: a message repeated within a batch waits for the delivery in hand. */
  readonly #delivering = new Map<number, Promise<void>>()
  readonly #facts: AlertFactsReader | null

  constructor(
    private readonly context: StageContext<AlertLedger>,
    private readonly channels: readonly DeliveryChannel[],
    private readonly delivery?: AlertDelivery,
  ) {
    this.#facts = delivery?.facts === undefined ? null : new AlertFactsReader(delivery.facts)
  }

  async start(): Promise<Subscription> {
    await this.recover()
    const { topics } = this.context
    return consumeTopic(
      this.context,
      'alert',
      { topic: topics.imageEventAlert, group: topics.imageEventAlertGroup },
      (message) => this.handle(message),
      { wholeBatch: true },
    )
  }

  /** Delivers alerts recorded before a crash but never delivered, a page at a time. */
  async recover(): Promise<number> {
    return forEachPendingPage(
      this.context,
      (page) => this.context.catalog.listUndeliveredAlerts(page),
      (alert) => alert.imageEventAlertId,
      async (alerts) => {
        const settled = await Promise.allSettled(
          alerts.map((alert) => retrying(this.context, 'delivery', () => this.#deliverRecorded(alert))),
        )
        const failed = settled.find((outcome) => outcome.status === 'rejected')
        if (failed !== undefined) throw failed.reason
      },
    )
  }

  async handle(message: ReceivedMessage): Promise<void> {
    const { imageEventId } = parseImageEventAlertMessage(message.value)
    await this.alertEvent(imageEventId)
  }

  /** `waitMs`: how long to wait for the event to have its difference image (tests shorten it). */
  async alertEvent(imageEventId: number, waitMs = ROW_WAIT_MS): Promise<AlertRecord> {
    // Only events with their difference image are alerted: the original's analysis client (and imgpipe's)
    // inserts the event, uploads, then sets the key. Wait for that; recovery of analyze republishes later ones.
    const found = await waitForRow(this.context, () => this.#keyedEvent(imageEventId), { timeoutMs: waitMs })
    if (found === null) throw new NotFoundError(`image_event_id ${imageEventId} is not in image_event with a difference image`)
    const { alert, created } = await this.#alerts.submit(found)
    if (created) this.context.metrics?.increment('imgpipe_alerts_total')
    if (alert.deliveredAt === null) await this.#deliver({ alert, ...found })
    return alert
  }

  async #keyedEvent(imageEventId: number): Promise<EventWithImage | null> {
    const found = await this.#events.submit(imageEventId)
    return found === null || found.event.differenceImageObjectKey === null ? null : found
  }

  async #readEvents(imageEventIds: number[]): Promise<(EventWithImage | null)[]> {
    const found = await this.context.catalog.getEventsWithImages(imageEventIds)
    const byId = new Map(found.map((item) => [item.event.imageEventId, item]))
    return imageEventIds.map((id) => byId.get(id) ?? null)
  }

  /** The alerts, and in the same transaction a receiver row per subscription whose filter wants one. */
  async #recordAlerts(events: EventWithImage[]): Promise<{ alert: AlertRecord; created: boolean }[]> {
    const now = new Date()
    if (this.delivery === undefined) {
      return this.context.catalog.insertAlerts(
        events.map(({ event }) => event.imageEventId),
        now,
      )
    }
    const facts: AlertFacts[] =
      this.#facts === null
        ? events.map(({ event, image }) => ({ stream: image.stream, eventType: event.eventType, changedFraction: image.changedFraction }))
        : await this.#facts.read(events)
    const entries = events.map(({ event }, at) => ({
      imageEventId: event.imageEventId,
      wants: (subscription: SubscriptionRecord) => matchesFilter(subscription.filter, facts[at]!),
    }))
    const outcomes = await this.delivery.subscriptions.recordAlerts(entries, now)
    if (outcomes.some(({ created, receivers }) => created && receivers.length > 0)) this.delivery.onRecorded?.()
    return outcomes
  }

  async #deliverRecorded(alert: AlertRecord): Promise<void> {
    const found = await this.#events.submit(alert.imageEventId)
    if (found === null) throw new NotFoundError(`alert ${alert.imageEventAlertId} has no event or image`)
    await this.#deliver({ alert, ...found })
  }

  #deliver(found: { alert: AlertRecord } & EventWithImage): Promise<void> {
    const id = found.alert.imageEventAlertId
    const running = this.#delivering.get(id)
    if (running !== undefined) return running
    const delivery = this.#deliverOnce(found).finally(() => this.#delivering.delete(id))
    this.#delivering.set(id, delivery)
    return delivery
  }

  async #deliverOnce(found: { alert: AlertRecord } & EventWithImage): Promise<void> {
    for (const channel of this.channels) await channel.send(this.#delivery(found, channel.kind))
    await this.#delivered.submit(found.alert.imageEventAlertId)
    this.stats.delivered += 1
    this.context.metrics?.observe('imgpipe_receive_to_alert_seconds', (Date.now() - found.image.receivedAt.getTime()) / 1000)
  }

  /**
   * One alert as a delivery to a channel of this process: addressed to no subscription (id 0, the channel's kind
   * as name), with an id stable across retries and restarts, and no links (the stages know no public URL).
   */
  #delivery({ alert, event, image }: { alert: AlertRecord } & EventWithImage, kind: string): Delivery {
    const view = { alert, event, image, previousImage: null }
    const deliveryId = `alert-${alert.imageEventAlertId}`
    return {
      deliveryId,
      subscription: { subscriptionId: 0, name: kind, target: '', secret: null },
      payload: alertPayload(deliveryId, kind, [alertItem(view, undefined)]),
      attempt: 1,
      signal: this.context.signal,
      images: () => readAlertImages(this.context.store, [view], this.context.logger),
    }
  }

  async #markDelivered(imageEventAlertIds: number[]): Promise<undefined[]> {
    const names = this.channels.map((channel) => channel.kind)
    await this.context.catalog.markAlertsDelivered(imageEventAlertIds, names, new Date())
    return imageEventAlertIds.map(() => undefined)
  }
}
