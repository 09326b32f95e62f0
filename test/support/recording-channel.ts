import { DeliveryFailedError } from '../../src/core/errors.js'
import type { AlertItem, Delivery, DeliveryChannel, DeliveryReceipt } from '../../src/core/ports/delivery-channel.js'

/** A delivery channel that keeps what it was given, and fails (retryably) as many times as it is told to first. */
export class RecordingChannel implements DeliveryChannel {
  readonly kind = 'recording'
  readonly deliveries: Delivery[] = []
  failuresLeft = 0

  /** Every alert delivered so far, in order. */
  get alerts(): AlertItem[] {
    return this.deliveries.flatMap((delivery) => delivery.payload.alerts)
  }

  async send(delivery: Delivery): Promise<DeliveryReceipt> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1
      throw new DeliveryFailedError('receiver unavailable')
    }
    this.deliveries.push(delivery)
    return { responseCode: null, detail: 'recorded' }
  }

  async close(): Promise<void> {}
}
