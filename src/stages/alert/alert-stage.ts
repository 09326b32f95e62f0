import { NotFoundError } from '../../core/errors.js'
import { parseImageEventAlertMessage } from '../../core/messages.js'
import type { ReceivedMessage, Subscription } from '../../core/ports/bus.js'
import type { DeliveryChannel } from '../../core/ports/delivery-channel.js'
import type { Subscriptions } from '../../core/ports/subscriptions.js'
import type { AlertRecord, ImageEventRecord } from '../../core/types.js'
import { matchesFilter } from './alert-filter.js'
import { consumeTopic } from '../message-worker.js'
import { forEachPendingPage, retrying, type StageContext } from '../stage-context.js'
import { ROW_WAIT_MS, waitForRow } from '../wait-for-row.js'

/**
 * The alert stage: records one `image_event_alert` row per event (unique on image_event_id, so a
 * redelivered message finds the existing alert) and hands it to every delivery channel. Delivery is
 * at-least-once: `delivered_at` is set after all channels accepted, and undelivered alerts are retried
 * when the stage starts again.
 */
export class AlertStage {
  /** Alerts this process delivered (not the catalog's totals). */
  readonly stats = { delivered: 0 }

  constructor(
    private readonly context: StageContext,
    private readonly channels: readonly DeliveryChannel[],
    /** Subscriptions: receiver rows are recorded with the alert, and `onRecorded` wakes the delivery worker. */
    private readonly delivery?: { subscriptions: Subscriptions; onRecorded?: () => void },
  ) {}

  async start(): Promise<Subscription> {
    await this.recover()
    const { topics } = this.context
    return consumeTopic(this.context, 'alert', { topic: topics.imageEventAlert, group: topics.imageEventAlertGroup }, (message) =>
      this.handle(message),
    )
  }

  /** Delivers alerts recorded before a crash but never delivered. */
  async recover(): Promise<number> {
    return forEachPendingPage(
      this.context,
      (page) => this.context.catalog.listUndeliveredAlerts(page),
      (alert) => alert.imageEventAlertId,
      async (alerts) => {
        for (const alert of alerts) await retrying(this.context, 'delivery', () => this.deliver(alert))
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
    const event = await waitForRow(this.context, () => this.keyedEvent(imageEventId), { timeoutMs: waitMs })
    if (event === null) throw new NotFoundError(`image_event_id ${imageEventId} is not in image_event with a difference image`)
    const { alert, created } = await this.recordAlert(event)
    if (created) this.context.metrics?.increment('imgpipe_alerts_total')
    if (alert.deliveredAt === null) await this.deliver(alert)
    return alert
  }

  private async keyedEvent(imageEventId: number) {
    const event = await this.context.catalog.getEvent(imageEventId)
    return event === null || event.differenceImageObjectKey === null ? null : event
  }

  /** The alert, and in the same transaction a receiver row per subscription whose filter wants it. */
  private async recordAlert(event: ImageEventRecord): Promise<{ alert: AlertRecord; created: boolean }> {
    const { catalog } = this.context
    if (this.delivery === undefined) return catalog.insertAlert(event.imageEventId)
    const image = await catalog.getImage(event.imageId)
    if (image === null) throw new NotFoundError(`image_id ${event.imageId} of event ${event.imageEventId} is not in image_metadata`)
    const facts = { stream: image.stream, eventType: event.eventType, changedFraction: image.changedFraction }
    const { alert, created, receivers } = await this.delivery.subscriptions.recordAlert(
      event.imageEventId,
      (subscription) => matchesFilter(subscription.filter, facts),
      new Date(),
    )
    if (created && receivers.length > 0) this.delivery.onRecorded?.()
    return { alert, created }
  }

  private async deliver(alert: AlertRecord): Promise<void> {
    const { catalog } = this.context
    const event = await catalog.getEvent(alert.imageEventId)
    const image = event === null ? null : await catalog.getImage(event.imageId)
    if (event === null || image === null) throw new NotFoundError(`alert ${alert.imageEventAlertId} has no event or image`)
    for (const channel of this.channels) await channel.deliver({ alert, event, image })
    await catalog.markAlertDelivered(
      alert.imageEventAlertId,
      this.channels.map((channel) => channel.name),
      new Date(),
    )
    this.stats.delivered += 1
    this.context.metrics?.observe('imgpipe_receive_to_alert_seconds', (Date.now() - image.receivedAt.getTime()) / 1000)
  }
}
