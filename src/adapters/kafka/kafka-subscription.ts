/**
 * One Bus subscription on Kafka: a consumer group member that hands what its stream has buffered to its handler
 * (`concurrency` handlers at once, at most `batchSize` messages beyond the last commit point) and commits, per
 * partition, the offset after the unbroken run of handled messages as it advances (one commit in flight per
 * partition; a later message never waits for an earlier batch to finish).
 *
 * Client calls used (@platformatic/kafka 1.x; connection options (bootstrapBrokers, tls, tlsServerName, sasl)
 * in kafka-connection.ts):
 *   new Consumer({ clientId, bootstrapBrokers, groupId, autocommit: false, deserializers: stringDeserializers,
 *                  sessionTimeout, heartbeatInterval, rebalanceTimeout, maxWaitTime, highWaterMark, retries, retryDelay })
 *   consumer.consume({ topics, mode: 'committed', fallbackMode: 'earliest' })  joins the group (classic protocol)
 *   consumer.assignments, consumer.on('error'), consumer.close(true)  (leaves the group), Base#close as fallback
 *   stream.read(), stream events 'readable' | 'error' | 'end' | 'close', stream.errored, stream.close()
 *   message.key / value / partition / offset, message.commit()  (commits offset + 1 with the leader epoch)
 *
 * Why the checks in `handle`: the library's stream prefetches (up to highWaterMark) and, after a rebalance,
 * re-reads assigned partitions from the committed offset while older prefetched messages are still buffered.
 * So a buffered message of a partition this member no longer owns is dropped (its new owner reads it from the
 * committed offset), and one below the partition's handled position is not handled twice.
 *
 * Resilience: the client retries each request with backoff; when a stream still fails (e.g. the broker is
 * restarting) it is replaced by a new one on the same consumer, which keeps its group membership, as the
 * library's documentation recommends. Only when the consumer itself gives up (its 'error' event) is a new
 * consumer created. Nothing is skipped: every new stream starts from the group's committed offsets.
 */
import { Base, Consumer, MessagesStreamFallbackModes, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka'
import type { Message, MessagesStream } from '@platformatic/kafka'
import type { Logger } from '../../core/logger.js'
import type { MessageHandler, Subscription } from '../../core/ports/bus.js'
import type { KafkaClientConnection } from './kafka-connection.js'
import { describeKafkaError, isPermanentKafkaError, toBusError } from './kafka-errors.js'

type StringConsumer = Consumer<string, string, string, string>
type StringStream = MessagesStream<string, string, string, string>
type StringMessage = Message<string, string, string, string>

/** Options of {@link KafkaSubscription}. */
export interface KafkaSubscriptionOptions {
  /** Brokers, TLS and SASL, as the bus's other clients use them. */
  connection: KafkaClientConnection
  clientId: string
  topic: string
  group: string
  handler: MessageHandler
  /** Messages handled between two commits, at most; the batch is what the stream has buffered. */
  batchSize: number
  /** Handlers in flight at once within a batch. */
  concurrency: number
  logger: Logger
  /** Called once when the subscription has ended (before `done` settles). */
  onEnd: (subscription: KafkaSubscription) => void
}

/** Backoff for the client's own request retries: 100 ms doubling up to 2 s. */
export function clientRetryDelay(_client: unknown, _operation: string, attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 2_000)
}

/** Backoff between stream re-creations, with jitter so members of a group do not retry in step. */
function reconnectDelay(failures: number): number {
  return Math.min(250 * 2 ** Math.max(0, failures - 1), 5_000) * (0.75 + Math.random() / 4)
}

export class KafkaSubscription implements Subscription {
  readonly done: Promise<void>
  private readonly options: KafkaSubscriptionOptions
  private readonly logger: Logger
  private consumer: StringConsumer | null = null
  private consumerError: unknown = null
  private stream: StringStream | null = null
  private stopping = false
  private failure: { error: unknown } | null = null
  private wakeUp: (() => void) | null = null
  /** Next offset to handle per partition: everything below was handled (and a commit requested) here. */
  private readonly positions = new Map<number, bigint>()
  /** Next offset to hand out per partition: everything below was handled or is in hand. */
  private readonly handedOut = new Map<number, bigint>()
  /** Per partition, the messages handed out and not yet passed by its position, in offset order. */
  private readonly tracked = new Map<number, { message: StringMessage; done: boolean }[]>()
  /** Messages in `tracked`: at most `batchSize` (or `concurrency`) beyond the last commit point. */
  private tracking = 0
  private inFlight = 0
  /** Per partition, the commit under way and the latest position waiting for it. */
  private readonly committing = new Map<number, Promise<void>>()
  private readonly commitWanted = new Map<number, StringMessage>()
  /** Offsets whose commit succeeded, so a skipped duplicate never moves the group's offset backwards. */
  private readonly committed = new Map<number, bigint>()
  private readonly ended: Promise<void>
  private settle!: () => void

  constructor(options: KafkaSubscriptionOptions) {
    this.options = options
    this.logger = options.logger.child({ topic: options.topic, group: options.group })
    let resolveDone!: () => void
    let rejectDone!: (error: unknown) => void
    this.done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve
      rejectDone = reject
    })
    this.ended = new Promise<void>((resolve) => {
      this.settle = () => {
        options.onEnd(this)
        if (this.failure === null) resolveDone()
        else rejectDone(this.failure.error)
        resolve()
      }
    })
  }

  /** Joins the group; rejects with BusUnavailableError (and leaves nothing open) when that fails. */
  async start(): Promise<void> {
    try {
      await this.openStream()
    } catch (error) {
      await this.closeConsumer()
      // Never handed out, so `done` resolves quietly; a concurrent close() must not wait forever.
      this.settle()
      throw toBusError(`subscribe to ${this.options.topic}`, error, this.options.connection)
    }
    void this.run()
  }

  close(): Promise<void> {
    this.stopping = true
    this.wake()
    return this.ended
  }

  private wake(): void {
    const wakeUp = this.wakeUp
    this.wakeUp = null
    wakeUp?.()
  }

  /** Waits for a stream event, close(), or the delay; whichever comes first. */
  private sleep(delayMs?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = delayMs === undefined ? undefined : setTimeout(() => this.wake(), delayMs)
      this.wakeUp = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  private createConsumer(): StringConsumer {
    const { connection, clientId, group } = this.options
    const consumer: StringConsumer = new Consumer({
      ...connection,
      clientId,
      groupId: group,
      autocommit: false,
      deserializers: stringDeserializers,
      // Kafka's own defaults are 45 s / 3 s; a 1 s heartbeat lets a joining member's rebalance finish quickly.
      sessionTimeout: 30_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 60_000,
      maxWaitTime: 1_000,
      // Prefetch little: buffered messages of a revoked partition are fetched again by their new owner.
      highWaterMark: 128,
      retries: 5,
      retryDelay: clientRetryDelay,
    })
    // The consumer emits 'error' when rejoining its group failed for good; without a listener that would
    // crash the process. The run loop replaces the consumer instead.
    consumer.on('error', (error: Error) => {
      this.consumerError ??= error
      this.wake()
    })
    return consumer
  }

  private async openStream(): Promise<void> {
    this.consumer ??= this.createConsumer()
    const stream = await this.consumer.consume({
      topics: [this.options.topic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
    })
    // A permanent 'readable' listener keeps the stream in paused mode, pulled with read(); the 'error'
    // listener keeps a failing fetch from becoming an uncaught exception.
    stream.on('readable', () => this.wake())
    stream.on('error', () => this.wake())
    stream.on('end', () => this.wake())
    stream.on('close', () => this.wake())
    this.stream = stream
  }

  private async run(): Promise<void> {
    let failures = 0
    try {
      while (!this.stopping) {
        if (this.stream === null) {
          try {
            await this.openStream()
            this.logger.info('Kafka consumer stream reopened')
          } catch (error) {
            if (isPermanentKafkaError(error)) throw toBusError(`consume ${this.options.topic}`, error, this.options.connection)
            failures += 1
            this.logger.warn({ err: describeKafkaError(error), failures }, 'Kafka consumer cannot join yet; retrying')
            await this.sleep(reconnectDelay(failures))
            continue
          }
        }
        const broken = await this.consumeStream(this.stream!)
        if (broken === null) break
        if (isPermanentKafkaError(broken)) throw toBusError(`consume ${this.options.topic}`, broken, this.options.connection)
        failures += 1
        this.logger.warn({ err: describeKafkaError(broken), failures }, 'Kafka consumer stream failed; reconnecting')
        await this.closeStream()
        if (this.consumerError !== null) await this.closeConsumer()
        await this.sleep(reconnectDelay(failures))
      }
    } catch (error) {
      this.failure ??= { error }
    } finally {
      await this.closeStream()
      await this.closeConsumer()
      this.settle()
    }
  }

  /**
   * Handles messages until close() or a handler failure (null), or until the stream breaks (its error).
   *
   * Messages flow through rather than in closed batches, so that one arriving while others are in hand does not wait
   * for the slowest of them and their commit: what the stream has buffered is handed out at once, up to
   * `concurrency` handlers in flight and `batchSize` messages beyond the last commit point, and a message that
   * arrives later starts as soon as a handler is free. Messages handed out in the same turn still reach the
   * handlers together, so the stages' coalescers batch them as before. Before returning, the handlers in flight
   * finish and their offsets are committed.
   */
  private async consumeStream(stream: StringStream): Promise<unknown> {
    const limit = Math.max(this.options.batchSize, this.options.concurrency)
    let broken: unknown = null
    while (!this.stopping) {
      if (this.consumerError !== null) {
        broken = this.consumerError
        break
      }
      let drained = false
      while (this.inFlight < this.options.concurrency && this.tracking < limit && !this.stopping) {
        const message = stream.read() as StringMessage | null
        if (message === null) {
          drained = true
          break
        }
        this.dispatch(message)
      }
      if (drained) {
        if (stream.errored !== null) {
          broken = stream.errored
          break
        }
        if (stream.destroyed || stream.readableEnded) {
          broken = new Error('the Kafka consumer stream ended')
          break
        }
      }
      // Woken by the stream (data, error, end), a handler finishing, or close().
      await this.sleep()
    }
    while (this.inFlight > 0) await this.sleep()
    await Promise.all(this.committing.values())
    return this.failure !== null || this.stopping ? null : broken
  }

  /** Starts the handler of a message, unless it is not ours any more or was handed out here before. */
  private dispatch(message: StringMessage): void {
    const { partition, offset } = message
    if (!this.owns(partition)) return
    const handedOut = this.handedOut.get(partition)
    if (handedOut !== undefined && offset < handedOut) {
      // Handled (or in hand) before a rebalance re-read it: never handle it twice, and commit it if it was handled
      // but its commit never went through.
      const position = this.positions.get(partition) ?? -1n
      if (offset < position && (this.committed.get(partition) ?? -1n) < offset + 1n) this.requestCommit(message)
      return
    }
    this.handedOut.set(partition, offset + 1n)
    const entry = { message, done: false }
    const queue = this.tracked.get(partition)
    if (queue === undefined) this.tracked.set(partition, [entry])
    else queue.push(entry)
    this.tracking += 1
    this.inFlight += 1
    void this.runHandler(entry)
  }

  private async runHandler(entry: { message: StringMessage; done: boolean }): Promise<void> {
    const { message } = entry
    try {
      await this.options.handler({
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        key: message.key ?? '',
        value: message.value ?? '',
      })
      entry.done = true
      this.advance(message.partition)
    } catch (error) {
      // The subscription ends; this message (and what follows it on its partition) stays uncommitted. Handlers
      // in flight finish, and no new one starts.
      this.failure ??= { error }
      this.stopping = true
    } finally {
      this.inFlight -= 1
      this.wake()
    }
  }

  /** Moves a partition's position past the unbroken run of handled messages at its head, and commits it. */
  private advance(partition: number): void {
    const queue = this.tracked.get(partition) ?? []
    let last: StringMessage | undefined
    while (queue.length > 0 && queue[0]!.done) {
      last = queue.shift()!.message
      this.tracking -= 1
    }
    if (last === undefined) return
    this.positions.set(partition, last.offset + 1n)
    this.requestCommit(last)
  }

  /**
   * One commit per partition in flight at a time, without holding up the handlers: a position reached meanwhile is
   * committed next (only the latest, as a commit covers everything below it).
   */
  private requestCommit(message: StringMessage): void {
    const { partition } = message
    const wanted = this.commitWanted.get(partition)
    if (wanted === undefined || wanted.offset < message.offset) this.commitWanted.set(partition, message)
    if (this.committing.has(partition)) return
    const loop = (async () => {
      // Starts after the map holds it, so its clean-up below cannot run first.
      await Promise.resolve()
      for (let next = this.commitWanted.get(partition); next !== undefined; next = this.commitWanted.get(partition)) {
        this.commitWanted.delete(partition)
        await this.commit(next)
      }
      this.committing.delete(partition)
    })()
    this.committing.set(partition, loop)
  }

  private owns(partition: number): boolean {
    const assignments = this.consumer?.assignments ?? []
    return assignments.some((assignment) => assignment.topic === this.options.topic && assignment.partitions.includes(partition))
  }

  /** A failed commit is not fatal: the message may be delivered again (at-least-once), nothing is lost. */
  private async commit(message: StringMessage): Promise<void> {
    try {
      await message.commit()
      const next = message.offset + 1n
      if ((this.committed.get(message.partition) ?? -1n) < next) this.committed.set(message.partition, next)
    } catch (error) {
      this.logger.warn(
        { err: describeKafkaError(error), partition: message.partition, offset: String(message.offset) },
        'Kafka offset commit failed; the message may be delivered again',
      )
    }
  }

  private async closeStream(): Promise<void> {
    const stream = this.stream
    this.stream = null
    if (stream === null) return
    try {
      await stream.close()
    } catch (error) {
      this.logger.debug({ err: describeKafkaError(error) }, 'Kafka consumer stream close failed')
    }
  }

  private async closeConsumer(): Promise<void> {
    const consumer = this.consumer
    this.consumer = null
    this.consumerError = null
    if (consumer === null) return
    try {
      // With `force`, the typings pick the callback overload (void); without a callback it returns a promise,
      // but waiting on the callback is what the types can check.
      await new Promise<void>((resolve, reject) => consumer.close(true, (error) => (error ? reject(error) : resolve())))
    } catch (error) {
      this.logger.warn(
        { err: describeKafkaError(error) },
        'Kafka consumer could not leave its group; its partitions move after the session timeout',
      )
      // The library keeps a consumer open when LeaveGroup fails; drop its connections anyway so no socket
      // or retry timer outlives the subscription.
      await Base.prototype.close.call(consumer as unknown as Base).catch(() => undefined)
    }
  }
}
