/**
 * Reading a Kafka topic as a person watching it (`imgpipe alerts tail`): raw bytes, no commits, from the end or the
 * beginning. Unlike the bus's subscriptions it takes no part in the pipeline's consumer groups and never moves
 * anyone's offsets: it joins a throw-away group of its own (the client needs one to be assigned partitions) and
 * commits nothing, so the broker forgets the group once its (empty) offsets expire.
 *
 * Client calls used (@platformatic/kafka 1.x): new Admin({ clientId, bootstrapBrokers, … }), admin.listTopics(),
 * admin.close(); new Consumer({ groupId, autocommit: false, … }), consumer.consume({ topics, mode }), the stream's
 * async iterator, consumer.close(true).
 *
 * Leaves out: seeking to an offset or a time, and topics with more than the consumer's default fetch size per
 * message (1 MB), which alert packets with three 63×63 float stamps (~50 kB) are far below.
 */
import { randomUUID } from 'node:crypto'
import { Admin, Consumer, MessagesStreamModes } from '@platformatic/kafka'
import { NotFoundError } from '../../core/errors.js'
import { kafkaClientConnection, type KafkaConnectionSettings } from './kafka-connection.js'
import { toBusError } from './kafka-errors.js'

/** One record as it is on the topic. */
export interface TopicRecord {
  topic: string
  partition: number
  offset: bigint
  /** Milliseconds since the Unix epoch (the producer's create time or the broker's append time). */
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
}

export interface TopicReaderOptions {
  topic: string
  /** Where to start: only records published from now on ('end'), or every record the topic still holds. */
  from: 'end' | 'beginning'
  /** Stops the reader: the iteration ends after the record in hand. */
  signal?: AbortSignal
  clientId?: string
}

/** The records of one topic, one at a time, until the signal aborts (or the caller stops iterating). */
export async function* readTopic(connection: KafkaConnectionSettings, options: TopicReaderOptions): AsyncGenerator<TopicRecord> {
  const client = kafkaClientConnection(connection)
  const clientId = options.clientId ?? 'imgpipe-tail'
  // A missing topic would otherwise be a consumer that waits for ever: say so at once.
  const admin = new Admin({ ...client, clientId, retries: 2 })
  try {
    const topics = await admin.listTopics()
    if (!topics.includes(options.topic)) throw new NotFoundError(`Kafka topic ${options.topic} does not exist`)
  } catch (error) {
    if (error instanceof NotFoundError) throw error
    throw toBusError(`read topic ${options.topic}`, error, client)
  } finally {
    await admin.close().catch(() => undefined)
  }
  const consumer = new Consumer({
    ...client,
    clientId,
    groupId: `imgpipe-tail-${randomUUID()}`,
    autocommit: false,
    maxWaitTime: 500,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  })
  const close = (): void => void closeConsumer(consumer)
  options.signal?.addEventListener('abort', close, { once: true })
  try {
    const stream = await consumer.consume({
      topics: [options.topic],
      mode: options.from === 'end' ? MessagesStreamModes.LATEST : MessagesStreamModes.EARLIEST,
      autocommit: false,
    })
    options.signal?.addEventListener('abort', () => void stream.close().catch(() => undefined), { once: true })
    for await (const message of stream) {
      if (options.signal?.aborted === true) return
      yield {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        timestamp: message.timestamp,
        key: message.key ?? null,
        value: message.value ?? null,
      }
    }
  } catch (error) {
    if (options.signal?.aborted === true) return
    throw toBusError(`read topic ${options.topic}`, error, client)
  } finally {
    options.signal?.removeEventListener('abort', close)
    await closeConsumer(consumer)
  }
}

/** Leaves the throw-away group (the promise overload of close(force) is shadowed by the callback one in the typings). */
function closeConsumer(consumer: Consumer): Promise<void> {
  return new Promise<void>((resolve) => consumer.close(true, () => resolve()))
}
