import { DeliveryFailedError } from '../../core/errors.js'
import type { Bus } from '../../core/ports/bus.js'
import type { Delivery, DeliveryReceipt, DeliveryChannel } from '../../core/ports/delivery-channel.js'

export interface KafkaTopicChannelOptions {
  /** Partitions of an alert topic imgpipe creates. */
  partitions: number
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/

/** A subscription's Kafka target: a topic name (letters, digits, `.`, `_`, `-`, at most 249), refused for good otherwise. */
export function parseTopicTarget(target: string): string {
  if (!TOPIC.test(target))
    throw new DeliveryFailedError('a kafka-topic target is a topic name: letters, digits, ".", "_", "-"', { canRetry: false })
  return target
}

/**
 * A Kafka alert stream: one topic per subscription (Fink's and Lasair's "one filter = one topic"), one JSON
 * message per alert keyed by stream, valid against `schemas/alert-v1.json`. The message carries the
 * delivery id: a consumer de-duplicates on (deliveryId, alertNum) after a redelivery.
 */
export class KafkaTopicChannel implements DeliveryChannel {
  readonly kind = 'kafka-topic'
  readonly #ready = new Set<string>()

  constructor(
    private readonly bus: Bus,
    private readonly options: KafkaTopicChannelOptions,
  ) {}

  async send(delivery: Delivery): Promise<DeliveryReceipt> {
    const topic = parseTopicTarget(delivery.subscription.target)
    if (!this.#ready.has(topic)) {
      await this.bus.ensureTopics([{ name: topic, partitions: this.options.partitions }])
      this.#ready.add(topic)
    }
    const { payload } = delivery
    await this.bus.publish(
      topic,
      payload.alerts.map((item) => ({ key: item.stream, value: JSON.stringify({ ...payload, alerts: [item] }) })),
    )
    return { responseCode: null, detail: `${payload.alerts.length} message(s) on ${topic}` }
  }

  async close(): Promise<void> {}
}
