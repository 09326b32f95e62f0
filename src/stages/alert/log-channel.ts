import { imageLabel, percentOf } from '../../core/alert-text.js'
import type { Logger } from '../../core/logger.js'
import type { AlertNotice, DeliveryChannel } from '../../core/ports/delivery-channel.js'

/**
 * The only delivery channel so far: writes the alert to the log, which is what the original's alert
 * client did (it printed). Real channels (e-mail, webhooks) implement the same interface.
 */
export class LogChannel implements DeliveryChannel {
  readonly name = 'log'

  constructor(private readonly logger: Logger) {}

  async deliver({ alert, event, image }: AlertNotice): Promise<void> {
    this.logger.info(
      {
        imageEventAlertId: alert.imageEventAlertId,
        imageEventId: event.imageEventId,
        imageId: image.imageId,
        stream: image.stream,
        imageNum: image.imageNum,
        eventType: event.eventType,
        changedPercent: percentOf(image.changedFraction),
        differenceImageObjectKey: event.differenceImageObjectKey,
      },
      `ALERT ${alert.imageEventAlertId}: image event ${event.imageEventId} (${event.eventType}) on stream ${image.stream} image ${imageLabel(image)}`,
    )
  }
}
