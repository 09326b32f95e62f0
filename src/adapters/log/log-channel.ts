import { alertHeadline, changedText, percentOf } from '../../core/alert-text.js'
import type { Logger } from '../../core/logger.js'
import type { Delivery, DeliveryChannel, DeliveryReceipt } from '../../core/ports/delivery-channel.js'

/**
 * The log as a channel: one structured info line per alert, what the original's alert client did (it printed).
 * The alert stage hands it every alert it records, the way the delivery worker hands a subscription's
 * alerts to its webhook or mail channel.
 */
export class LogChannel implements DeliveryChannel {
  readonly kind = 'log'

  constructor(private readonly logger: Logger) {}

  async send({ deliveryId, payload }: Delivery): Promise<DeliveryReceipt> {
    for (const item of payload.alerts) {
      this.logger.info(
        {
          deliveryId,
          imageEventAlertId: item.alertNum,
          imageEventId: item.imageEventId,
          imageId: item.imageId,
          stream: item.stream,
          imageNum: item.imageNum,
          eventType: item.eventType,
          changedPercent: percentOf(item.changedFraction),
          ...(item.links.alertPage === undefined ? {} : { alertPage: item.links.alertPage }),
        },
        `${alertHeadline(item)} (${changedText(item.changedFraction)})`,
      )
    }
    return { responseCode: null, detail: `${payload.alerts.length} alert(s) logged` }
  }

  async close(): Promise<void> {}
}
