/**
 * The Bus on Apache Kafka, through @platformatic/kafka (classic consumer group protocol).
 *
 * Client calls used (@platformatic/kafka 1.x; consumer calls are listed in kafka-subscription.ts, connection
 * options (bootstrapBrokers, tls, tlsServerName, sasl) in kafka-connection.ts):
 *   new Admin({ clientId, bootstrapBrokers, retries, retryDelay })
 *   admin.listTopics(), admin.createTopics({ topics, partitions, replicas: -1 }),
 *   admin.metadata({ topics, forceUpdate: true }), admin.close()
 *   new Producer({ clientId, bootstrapBrokers, idempotent: true, acks: ProduceAcks.ALL,
 *                  serializers: (strings; byte values as they are), partitioner: compatibilityPartitioner, retries, retryDelay })
 *   producer.send({ messages }), producer.close(true)
 *
 * Topics are created with the requested partition count and replication factor -1, which the CreateTopics API
 * (v4+, KIP-464) turns into the broker's `default.replication.factor`. The producer is idempotent with acks from
 * all in-sync replicas, so `publish` resolves only after the ack and a retried request is not duplicated; keys
 * go through the Java client's partitioner (positive murmur2), like every Java or Python producer and like
 * MemoryBus. Publishes are serialised (the idempotent producer numbers its batches per partition, and concurrent
 * sends could reuse a sequence number), and those waiting for a produce go together in the next one.
 */
import { Admin, compatibilityPartitioner, ProduceAcks, Producer, stringSerializer, stringSerializers } from '@platformatic/kafka'
import type { Serializers } from '@platformatic/kafka'
import { BusUnavailableError, ClosedError, describeError, MessageInvalidError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import type {
  BinaryBusMessage,
  Bus,
  BusMessage,
  ConsumerOf,
  PartitionLag,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from '../../core/ports/bus.js'
import { Coalescer } from '../../core/coalescer.js'
import { sleep, withRetry } from '../../core/retry.js'
import { kafkaClientConnection } from './kafka-connection.js'
import type { KafkaClientConnection } from './kafka-connection.js'
import { kafkaConsumerLag } from './kafka-consumer-lag.js'
import { describeKafkaError, hasKafkaApiError, toBusError } from './kafka-errors.js'
import { describeKafkaBrokers, type KafkaBrokerOptions } from './kafka-options.js'
import { clientRetryDelay, KafkaSubscription } from './kafka-subscription.js'

/** Options of {@link KafkaBus}. */
export interface KafkaBusOptions extends KafkaBrokerOptions {
  /** Partitions of a topic created implicitly by `publish` or `subscribe`. */
  defaultPartitions: number
  logger: Logger
}

/**
 * How often one produce request is retried: with {@link clientRetryDelay} about 50 s of broker downtime
 * (a restart) before `publish` gives up with a retryable BusUnavailableError.
 */
const PRODUCE_RETRIES = 28
/**
 * A produce that has neither succeeded nor failed by then (well past the retries above) is given up: the
 * producer is replaced and `publish` fails with a retryable BusUnavailableError. A produce that never settles
 * would otherwise hold the serialised publish queue, and every stage publishing behind it, for good.
 */
const PRODUCE_DEADLINE_MS = 90_000
/** Publish calls gathered into one produce request at most (each is already bounded by its caller). */
const PUBLISHES_PER_PRODUCE = 64
/** Admin requests fail within about a second, so that ping() reports a broker that does not answer. */
const ADMIN_RETRIES = 2
/**
 * Value bytes in one produce request: under the broker's default `message.max.bytes` (1,048,588), which bounds each
 * partition's record batch in a request, with room for keys and record headers. (String length is close enough
 * for text values, which are far smaller.)
 */
const MAX_PRODUCE_BYTES = 900 * 1024
/** ensureTopics (also run by the first publish or subscribe of a topic) retries for about 20 s. */
const ENSURE_TOPICS_ATTEMPTS = 8
/** A new topic's partitions need a leader before producing to them; wait at most this many metadata rounds. */
const LEADER_WAIT_ROUNDS = 50

type StringProducer = Producer<string, string | Uint8Array, string, string>
interface ProduceRecord {
  topic: string
  key: string
  value: string | Uint8Array
}

/** Text values as UTF-8; byte values (Avro alert packets) as they are, without a copy. */
const messageSerializers: Serializers<string, string | Uint8Array, string, string> = {
  ...stringSerializers,
  value: (data) =>
    typeof data === 'string'
      ? stringSerializer(data)
      : data === undefined
        ? undefined
        : Buffer.from(data.buffer, data.byteOffset, data.length),
}

export class KafkaBus implements Bus {
  readonly description: string
  readonly durable = true
  private readonly options: KafkaBusOptions
  /** Brokers, TLS and SASL: the same for every client this bus creates. */
  private readonly connection: KafkaClientConnection
  private readonly logger: Logger
  private admin: Admin | null = null
  private producer: StringProducer | null = null
  /**
   * Publishes, one produce request in flight at a time (the idempotent producer numbers its batches per partition,
   * and concurrent sends could reuse a sequence number). A lone publish goes at once; those made while a produce is
   * under way go together in the next one, so waiting publishers cost one round trip, not one each. A permanent
   * failure of a gathered produce is retried publish by publish, so that only the publish at fault fails.
   */
  private readonly publishes = new Coalescer((batches: (readonly ProduceRecord[])[]) => this.sendAll(batches), {
    maxBatch: PUBLISHES_PER_PRODUCE,
  })
  /** Publishes not settled yet: close() waits for them. */
  private readonly inHand = new Set<Promise<void>>()
  /** Topics known to exist, so publish and subscribe create a missing topic once per process. */
  private readonly knownTopics = new Set<string>()
  private readonly subscriptions = new Set<KafkaSubscription>()
  /** Set by close(): no new subscriptions. */
  private closing: Promise<void> | null = null
  /** Set once the subscriptions have ended: handlers in hand may publish until then. */
  private closed = false
  /** Aborts the retry waits of ensureTopics when the bus closes. */
  private readonly shutdownSignal = new AbortController()

  constructor(options: KafkaBusOptions) {
    if (options.brokers.length === 0) throw new RangeError('KafkaBus needs at least one broker')
    if (!Number.isInteger(options.defaultPartitions) || options.defaultPartitions < 1) {
      throw new RangeError(`defaultPartitions must be a positive integer, got ${options.defaultPartitions}`)
    }
    this.options = options
    this.connection = kafkaClientConnection(options)
    this.description = describeKafkaBrokers(options)
    this.logger = options.logger.child({ bus: this.description })
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    this.assertOpen()
    for (const spec of topics) {
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new RangeError(`topic ${spec.name}: partitions must be a positive integer, got ${spec.partitions}`)
      }
    }
    const missing = topics.filter((spec) => !this.knownTopics.has(spec.name))
    if (missing.length === 0) return
    // Patient like publish: a stage starting (or subscribing) while the broker restarts waits for it.
    await withRetry(() => this.createMissingTopics(missing), {
      attempts: ENSURE_TOPICS_ATTEMPTS,
      initialDelayMs: 250,
      maxDelayMs: 4_000,
      signal: this.shutdownSignal.signal,
      onRetry: (error, attempt, delayMs) =>
        this.logger.warn(
          { err: describeError(error), attempt, delayMs: Math.round(delayMs) },
          'Kafka topics cannot be checked yet; retrying',
        ),
    })
  }

  private async createMissingTopics(missing: readonly TopicSpec[]): Promise<void> {
    const admin = this.adminClient()
    try {
      const existing = new Set(await admin.listTopics())
      for (const spec of missing) {
        if (!existing.has(spec.name)) await this.createTopic(admin, spec)
        this.knownTopics.add(spec.name)
      }
    } catch (error) {
      throw toBusError('ensureTopics', error, this.connection)
    }
  }

  async publish(topic: string, messages: readonly (BusMessage | BinaryBusMessage)[]): Promise<void> {
    this.assertOpen()
    for (const message of messages) {
      if (typeof message.key !== 'string' || (typeof message.value !== 'string' && !(message.value instanceof Uint8Array))) {
        throw new MessageInvalidError(`a message for ${topic} needs a string key and a string or byte value`)
      }
    }
    if (messages.length === 0) return
    await this.ensureTopics([{ name: topic, partitions: this.options.defaultPartitions }])
    const publishing = this.publishes.submit(messages.map(({ key, value }) => ({ topic, key, value })))
    this.inHand.add(publishing)
    try {
      await publishing
    } finally {
      this.inHand.delete(publishing)
    }
  }

  /**
   * One produce request for the publishes gathered by {@link publishes}. A produce that has neither succeeded nor
   * failed by {@link PRODUCE_DEADLINE_MS} is given up.
   */
  private async send(records: readonly ProduceRecord[]): Promise<void> {
    const topics = [...new Set(records.map((record) => record.topic))].join(', ')
    this.assertOpen()
    const producer = this.producerClient()
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BusUnavailableError(`Kafka publish to ${topics}: no answer within ${PRODUCE_DEADLINE_MS / 1000} s`)),
        PRODUCE_DEADLINE_MS,
      )
    })
    try {
      await Promise.race([producer.send({ messages: [...records] }), deadline])
    } catch (error) {
      // After an ambiguous failure the broker and this producer may disagree on the batch sequence; a fresh
      // producer (new producer id) makes a retried publish a possible duplicate instead of a silent drop.
      this.discardProducer(producer)
      throw toBusError(`publish to ${topics}`, error, this.connection)
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * The gathered publishes in produce requests of at most MAX_PRODUCE_BYTES of values, one after the other (so in
   * order). Alert packets are ~60 KB: an image's worth in one request would exceed the broker's batch limit.
   */
  private async sendAll(batches: (readonly ProduceRecord[])[]): Promise<undefined[]> {
    let request: ProduceRecord[] = []
    let bytes = 0
    for (const record of batches.flat()) {
      const size = record.value.length
      if (request.length > 0 && bytes + size > MAX_PRODUCE_BYTES) {
        await this.send(request)
        request = []
        bytes = 0
      }
      request.push(record)
      bytes += size
    }
    if (request.length > 0) await this.send(request)
    return batches.map(() => undefined)
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen()
    if (this.closing !== null) throw new ClosedError('Kafka bus')
    await this.ensureTopics([{ name: options.topic, partitions: this.options.defaultPartitions }])
    const subscription = new KafkaSubscription({
      connection: this.connection,
      clientId: this.options.clientId,
      topic: options.topic,
      group: options.group,
      handler: options.handler,
      batchSize: options.batchSize ?? 1,
      concurrency: options.concurrency ?? 1,
      logger: this.logger,
      onEnd: (ended) => this.subscriptions.delete(ended),
    })
    this.subscriptions.add(subscription)
    try {
      await subscription.start()
    } catch (error) {
      this.subscriptions.delete(subscription)
      throw error
    }
    if (this.closing !== null) await subscription.close()
    return subscription
  }

  async ping(): Promise<void> {
    this.assertOpen()
    try {
      await this.adminClient().metadata({ topics: [], forceUpdate: true })
    } catch (error) {
      throw toBusError('metadata request (ping)', error, this.connection)
    }
  }

  async consumerLag(consumers: readonly ConsumerOf[]): Promise<PartitionLag[]> {
    this.assertOpen()
    try {
      return await kafkaConsumerLag(this.adminClient(), consumers)
    } catch (error) {
      throw toBusError('consumer lag', error, this.connection)
    }
  }

  close(): Promise<void> {
    this.shutdownSignal.abort()
    this.closing ??= this.shutdown()
    return this.closing
  }

  /** Ends the subscriptions (their messages in hand finish, and may still publish), then the clients. */
  private async shutdown(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()))
    this.closed = true
    await Promise.allSettled(this.inHand)
    const producer = this.producer
    const admin = this.admin
    this.producer = null
    this.admin = null
    await Promise.all([
      producer === null
        ? null
        : forceClose(producer).catch((error: unknown) =>
            this.logger.warn({ err: describeKafkaError(error) }, 'Kafka producer close failed'),
          ),
      admin?.close().catch((error: unknown) => this.logger.warn({ err: describeKafkaError(error) }, 'Kafka admin close failed')),
    ])
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('Kafka bus')
  }

  private adminClient(): Admin {
    this.admin ??= new Admin({
      ...this.connection,
      clientId: this.options.clientId,
      retries: ADMIN_RETRIES,
      retryDelay: clientRetryDelay,
    })
    return this.admin
  }

  private producerClient(): StringProducer {
    this.producer ??= new Producer({
      ...this.connection,
      clientId: this.options.clientId,
      idempotent: true,
      acks: ProduceAcks.ALL,
      serializers: messageSerializers,
      partitioner: compatibilityPartitioner,
      retries: PRODUCE_RETRIES,
      retryDelay: clientRetryDelay,
    })
    return this.producer
  }

  private discardProducer(producer: StringProducer): void {
    if (this.producer === producer) this.producer = null
    forceClose(producer).catch((error: unknown) => this.logger.debug({ err: describeKafkaError(error) }, 'Kafka producer close failed'))
  }

  private async createTopic(admin: Admin, spec: TopicSpec): Promise<void> {
    try {
      await admin.createTopics({ topics: [spec.name], partitions: spec.partitions, replicas: -1 })
      this.logger.info({ topic: spec.name, partitions: spec.partitions }, 'Kafka topic created')
    } catch (error) {
      // Another process may have created it between our listing and our request.
      if (!hasKafkaApiError(error, 'TOPIC_ALREADY_EXISTS')) throw error
    }
    await this.waitForLeaders(admin, spec.name)
  }

  /** A topic just created has no partition leaders for a moment; producing then fails with "unknown topic". */
  private async waitForLeaders(admin: Admin, topic: string): Promise<void> {
    let lastError: unknown = null
    for (let round = 1; round <= LEADER_WAIT_ROUNDS; round += 1) {
      try {
        const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
        const partitions = metadata.topics.get(topic)?.partitions ?? []
        if (partitions.length > 0 && partitions.every((partition) => partition !== undefined && partition.leader >= 0)) return
      } catch (error) {
        lastError = error
      }
      await sleep(Math.min(20 * round, 200))
    }
    throw toBusError(
      `waiting for the leaders of new topic ${topic}`,
      lastError ?? new Error('no partition leader elected'),
      this.connection,
    )
  }
}

/** The typings pick the callback overload of close(force); called without a callback it returns a promise. */
function forceClose(client: StringProducer): Promise<void> {
  return Promise.resolve(client.close(true) as unknown as Promise<void>)
}
