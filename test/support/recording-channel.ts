import { DeliveryFailedError } from '../../src/core/errors.js'
import type { AlertNotice, DeliveryChannel } from '../../src/core/ports/delivery-channel.js'

/** A delivery channel that keeps what it was given, and fails (retryably) as many times as it is told to first. */
export class RecordingChannel implements DeliveryChannel {
  readonly name = 'recording'
  readonly notices: AlertNotice[] = []
  failuresLeft = 0
  async deliver(notice: AlertNotice): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1
      throw new DeliveryFailedError('receiver unavailable')
    }
    this.notices.push(notice)
  }
}
