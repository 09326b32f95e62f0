import { DeliveryFailedError } from '../../core/errors.js'
import type { AlertPacketSource } from '../../core/ports/alert-packet-source.js'
import type { BinaryBusMessage, Bus } from '../../core/ports/bus.js'
import type { Delivery, DeliveryReceipt, DeliveryChannel } from '../../core/ports/delivery-channel.js'

export interface KafkaTopicChannelOptions {
  /** Partitions of an alert topic imgpipe creates. */
  partitions: number
  /** The Avro packets of `avro:` targets; without it such a subscription fails for good, naming what is missing. */
  packets?: AlertPacketSource
}

/** What a kafka-topic subscription writes: imgpipe's JSON alert messages (the default) or Avro alert packets. */
export const KAFKA_TOPIC_FORMATS = ['json', 'avro'] as const
export type KafkaTopicFormat = (typeof KAFKA_TOPIC_FORMATS)[number]

export interface KafkaTopicTarget {
  topic: string
  format: KafkaTopicFormat
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/
/** The target of an Avro subscription: the topic with this prefix (`:` is never part of a topic name). */
const AVRO_PREFIX = 'avro:'

/**
 * A subscription's Kafka target: a topic name (letters, digits, `.`, `_`, `-`, at most 249) for JSON messages, or
 * `avro:<topic>` for Avro packets; refused for good otherwise.
 */
export function parseKafkaTarget(target: string): KafkaTopicTarget {
  const avro = target.startsWith(AVRO_PREFIX)
  const topic = avro ? target.slice(AVRO_PREFIX.length) : target
  if (!TOPIC.test(topic))
    throw new DeliveryFailedError('a kafka-topic target is a topic name (letters, digits, ".", "_", "-"), or avro:<topic>', {
      canRetry: false,
    })
  return { topic, format: avro ? 'avro' : 'json' }
}

/** The stored target of a topic in a format (`subscription add --format`). */
export function kafkaTarget(topic: string, format: KafkaTopicFormat): string {
  return format === 'avro' ? `${AVRO_PREFIX}${topic}` : topic
}

/**
 * A Kafka alert stream: one topic per subscription (Fink's and Lasair's "one filter = one topic").
 *
 * JSON (a plain topic target): one message per alert keyed by stream, valid against `schemas/alert-v1.json`,
 * carrying the delivery id: a consumer de-duplicates on (deliveryId, alertNum) after a redelivery.
 *
 * Avro (`avro:<topic>`): one packet per detection of the alert's event (schemas/avro/), in the Confluent wire
 * format, keyed by object id so that one object's alerts stay in one partition, in order; a consumer de-duplicates
 * on alertId (the detection's id). An alert whose event has no detections (pixel-difference events) is skipped, not
 * sent as JSON: a topic of Avro packets that also held JSON would break every Avro deserializer reading it. A test
 * delivery (`subscription test`) sends nothing either: a packet has no test mark, a broker would take it for new.
 */
export class KafkaTopicChannel implements DeliveryChannel {
  readonly kind = 'kafka-topic'
  readonly #ready = new Set<string>()

  constructor(
    private readonly bus: Bus,
    private readonly options: KafkaTopicChannelOptions,
  ) {}

  async send(delivery: Delivery): Promise<DeliveryReceipt> {
    const { topic, format } = parseKafkaTarget(delivery.subscription.target)
    const { payload } = delivery
    if (format === 'avro') return this.#sendAvro(delivery, topic)
    await this.#ensure(topic)
    await this.bus.publish(
      topic,
      payload.alerts.map((item) => ({ key: item.stream, value: JSON.stringify({ ...payload, alerts: [item] }) })),
    )
    return { responseCode: null, detail: `${payload.alerts.length} message(s) on ${topic}` }
  }

  async #sendAvro(delivery: Delivery, topic: string): Promise<DeliveryReceipt> {
    const source = this.options.packets
    if (source === undefined)
      throw new DeliveryFailedError(`avro:${topic} needs Avro packets: set IMGPIPE_SCHEMA_REGISTRY_URL`, { canRetry: false })
    if (delivery.payload.test === true)
      return {
        responseCode: null,
        detail: `nothing sent to ${topic}: Avro packets carry no test mark (a broker would take a sample for a new alert)`,
      }
    const messages: BinaryBusMessage[] = []
    let skipped = 0
    for (const alert of delivery.payload.alerts) {
      const packets = await source.packetsOf(alert, topic)
      if (packets.length === 0) skipped++
      messages.push(...packets)
    }
    if (messages.length > 0) {
      await this.#ensure(topic)
      await this.bus.publish(topic, messages)
    }
    const note = skipped === 0 ? '' : `; ${skipped} alert(s) without detections skipped`
    return { responseCode: null, detail: `${messages.length} Avro packet(s) on ${topic}${note}` }
  }

  async #ensure(topic: string): Promise<void> {
    if (this.#ready.has(topic)) return
    await this.bus.ensureTopics([{ name: topic, partitions: this.options.partitions }])
    this.#ready.add(topic)
  }

  async close(): Promise<void> {}
}
