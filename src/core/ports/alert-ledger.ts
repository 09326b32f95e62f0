import type { AlertRecord, ImageEventRecord, ImageRecord } from '../types.js'
import type { Page } from './page.js'

/**
 * What the alert stage writes and reads of the catalog: the events of a batch with their images, one alert per
 * event, and the delivered mark of the log. Receiver rows (who is sent an alert) are the delivery ledger's
 * (subscriptions.ts), written with the alerts. Batch methods only.
 *
 * An alert is idempotent on image_event_id: callers racing on the same event get one alert, `created` once.
 */
export interface AlertLedger {
  /**
   * The events with these ids, each with its image, in one statement: the alert stage reads a batch of events at
   * once. Ids not in image_event are left out; the order is unspecified.
   */
  getEventsWithImages(imageEventIds: readonly number[]): Promise<{ event: ImageEventRecord; image: ImageRecord }[]>
  /**
   * Inserts the alert of each event unless it has one: one transaction, one multi-row insert. Outcomes in the order
   * of the ids; an id given twice is `created` once at most. Callers racing on overlapping ids get one alert per
   * event, `created` for exactly one of them.
   */
  insertAlerts(imageEventIds: readonly number[], createdAt: Date): Promise<{ alert: AlertRecord; created: boolean }[]>
  /**
   * Marks alerts delivered in one UPDATE, with one time and channel list. NotFoundError names the ids not in
   * image_event_alert; the others are marked all the same.
   */
  markAlertsDelivered(imageEventAlertIds: readonly number[], channels: string[], deliveredAt: Date): Promise<void>
  /** Recovery: alerts not marked delivered, ascending by id. */
  listUndeliveredAlerts(page: Page): Promise<AlertRecord[]>
}
