import type { DeliveryChannel } from '../core/ports/delivery-channel.js'
import { NO_METRICS, type Metrics } from '../core/ports/metrics.js'

/**
 * Wraps each delivery channel so that every attempt is counted by channel and outcome, without the alert stage
 * or the channels knowing about metrics. A failure is counted and rethrown unchanged: the stage's retry policy
 * stays what it was.
 */
export function measuredChannels(channels: readonly DeliveryChannel[], metrics: Metrics = NO_METRICS): DeliveryChannel[] {
  if (metrics === NO_METRICS) return [...channels]
  return channels.map((channel) => {
    const send: DeliveryChannel['send'] = async (delivery) => {
      try {
        const receipt = await channel.send(delivery)
        metrics.increment('imgpipe_deliveries_total', { channel: channel.kind, outcome: 'ok' })
        return receipt
      } catch (error) {
        metrics.increment('imgpipe_deliveries_total', { channel: channel.kind, outcome: 'failed' })
        throw error
      }
    }
    // A proxy rather than a copy: whatever else a channel offers (close, private fields) keeps working.
    return new Proxy(channel, {
      get(target, property) {
        if (property === 'send') return send
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    })
  })
}
