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
    const deliver: DeliveryChannel['deliver'] = async (notice) => {
      try {
        await channel.deliver(notice)
        metrics.increment('imgpipe_deliveries_total', { channel: channel.name, outcome: 'ok' })
      } catch (error) {
        metrics.increment('imgpipe_deliveries_total', { channel: channel.name, outcome: 'failed' })
        throw error
      }
    }
    // A proxy rather than a copy: whatever else a channel offers (close, private fields) keeps working.
    return new Proxy(channel, {
      get(target, property) {
        if (property === 'deliver') return deliver
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    })
  })
}
