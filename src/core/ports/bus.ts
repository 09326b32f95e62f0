/**
 * The message bus between stages, shaped after Apache Kafka (the original's transport).
 *
 * Semantics the stages rely on, and every adapter provides:
 * - topics split into partitions; messages with the same key go to the same partition and are delivered
 *   in publish order;
 * - consumer groups: the partitions of a topic are shared among the group's subscribers, each message
 *   is handled by one of them;
 * - at-least-once: a message's offset is committed only after its handler resolved (once per batch, see
 *   `SubscribeOptions.batchSize`). If the handler throws, or the process dies, the message is delivered again
 *   (to this or another subscriber);
 * - `publish` resolves only once the broker acknowledged the messages (acks from all in-sync replicas).
 *
 * Implementations: Kafka (@platformatic/kafka) and an in-process bus (memory) for the one-process mode.
 *
 * Leaves out: exactly-once transactions (stages are idempotent instead), message headers, seeking,
 * retention and compaction, and the retry policy: a handler decides itself whether to retry
 * (see stages' worker loop); the bus only redelivers what was not committed.
 */
export interface BusMessage {
  /** Partitioning key: the stream name, so the images of one stream stay in order. */
  key: string
  /** UTF-8 JSON text. */
  value: string
}

/**
 * A message whose value is bytes, for readers outside imgpipe (Avro alert packets in the Confluent wire format).
 * Only published: imgpipe's own subscriptions read JSON text. The in-process bus refuses them.
 */
export interface BinaryBusMessage {
  key: string
  value: Uint8Array
}

export interface ReceivedMessage extends BusMessage {
  topic: string
  partition: number
  offset: bigint
}

export type MessageHandler = (message: ReceivedMessage) => Promise<void>

export interface SubscribeOptions {
  topic: string
  /** Consumer group id; the original's were `image_analysis_group` and `image_event_alert_group`. */
  group: string
  /**
   * Handles one message; the offset is committed after it resolves. Handlers retry transient failures
   * and record permanent ones themselves, so a throw means "stop": the subscription commits what was
   * handled before, leaves that message uncommitted (it is delivered again later), ends, and
   * `Subscription.done` rejects with the error. Crash-only: the process exits and a supervisor restarts it.
   */
  handler: MessageHandler
  /**
   * Messages taken from the bus at once, up to what it has buffered (default 1). Offsets are committed once per
   * batch, after every handler of the batch resolved, so a crash redelivers at most one batch.
   */
  batchSize?: number
  /**
   * Handlers in flight at once within a batch (default 1: one after the other, in order). Above 1 the messages of
   * a batch, even of one key, overlap and may finish in any order: only for handlers that do not depend on the
   * previous message having been handled (the stages are idempotent and look up what they need).
   */
  concurrency?: number
}

export interface Subscription {
  /**
   * Stops fetching, lets the message in hand finish, commits what was handled, leaves the group.
   * Idempotent.
   */
  close(): Promise<void>
  /** Settles when the subscription ended: resolves after close(), rejects when the handler threw or the bus failed for good. */
  readonly done: Promise<void>
}

export interface TopicSpec {
  name: string
  partitions: number
}

/** Where one consumer group stands on one partition of a topic. */
export interface PartitionLag {
  group: string
  topic: string
  partition: number
  /** The next offset the group will consume; null when it has committed nothing on this partition yet. */
  committedOffset: bigint | null
  /** The offset the next published message will get (the high watermark). */
  endOffset: bigint
  /** Messages published but not committed: end - committed (end - start of the log when nothing is committed). */
  lag: bigint
}

/** A consumer group and the topic it consumes. */
export interface ConsumerOf {
  group: string
  topic: string
}

export interface Bus {
  /** Broker location without credentials, e.g. `kafka://127.0.0.1:9092` or `memory:`. */
  readonly description: string
  /**
   * Whether published messages outlive this process (Kafka) or die with it (in-process bus). Stages use it
   * to decide whether a restart must rebuild pending work from the catalog.
   */
  readonly durable: boolean

  /** Creates missing topics (existing ones are left as they are). */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>
  publish(topic: string, messages: readonly (BusMessage | BinaryBusMessage)[]): Promise<void>
  subscribe(options: SubscribeOptions): Promise<Subscription>
  /** Throws BusUnavailableError when the broker does not answer. */
  ping(): Promise<void>
  /**
   * Per partition of each given topic: the group's committed offset, the end offset and the lag, sorted by
   * group, topic and partition. A topic that does not exist yields no rows. Throws BusUnavailableError when the
   * broker does not answer. (Lag of the in-process bus covers this process only.)
   */
  consumerLag(consumers: readonly ConsumerOf[]): Promise<PartitionLag[]>
  /** Closes subscriptions and producers. */
  close(): Promise<void>
}
