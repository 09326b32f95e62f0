import type { AlertRecord, ImageEventRecord, ImageRecord } from '../types.js'

/** What a delivery channel gets for one alert. */
export interface AlertNotice {
  alert: AlertRecord
  event: ImageEventRecord
  image: ImageRecord
}

/**
 * Where an alert goes once recorded: the plug-in point for subscriptions and real delivery
 * (e-mail, webhooks, a VOEvent broker...). Only a log channel exists today.
 *
 * Delivery is at-least-once: the alert stage marks an alert delivered only after every channel resolved,
 * so a crash in between delivers it again. Channels should therefore be idempotent per
 * `alert.imageEventAlertId` where the receiving side allows it.
 *
 * Leaves out: subscriptions and filtering (who gets which alert), batching, and rate limiting.
 * Throw DeliveryFailedError (canRetry) for transient failures.
 */
export interface DeliveryChannel {
  /** Stable short name recorded in `image_event_alert.delivery_channels`. */
  readonly name: string
  deliver(notice: AlertNotice): Promise<void>
}
