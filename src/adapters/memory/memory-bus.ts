/**
 * The in-process bus of the one-process mode, with the Kafka semantics the stages rely on: partitioned
 * append-only logs, the partition chosen by the key's hash (Kafka's murmur2, so a key lands on the same
 * partition number as with the Java client and `KafkaBus`), consumer groups with committed offsets that start
 * at the earliest offset, partitions divided among a group's live subscriptions (round robin, re-divided when
 * one joins or leaves), one batch at a time per partition (`batchSize`, `concurrency`), and commit after the
 * batch's handlers resolved.
 *
 * Stronger than Kafka on one point, because it is cheap here: when a partition moves to another subscription,
 * the new owner waits for the previous owner's message in hand to finish (and commit) before it starts from
 * the committed offset, so a clean rebalance redelivers nothing. A handler that throws still leaves its
 * message uncommitted for the next owner.
 *
 * Everything is driven by promises: an idle partition worker sleeps until a publish wakes it, so nothing
 * polls and nothing holds the event loop open (an idle subscription alone does not keep a process alive).
 * Leaves out: retention (logs only grow; fine for a process's lifetime), and persistence across processes.
 */
import { handleBatch } from '../../core/batch.js'
import { ClosedError, MessageInvalidError } from '../../core/errors.js'
import type {
  Bus,
  BinaryBusMessage,
  BusMessage,
  ConsumerOf,
  MessageHandler,
  PartitionLag,
  ReceivedMessage,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from '../../core/ports/bus.js'
import { lagOf } from './memory-consumer-lag.js'
import { kafkaPartition } from './murmur2.js'
import { describeMemoryBackend } from './memory-options.js'

/** Options of {@link MemoryBus}. */
export interface MemoryBusOptions {
  /** Partitions of a topic created implicitly by `publish` or `subscribe` (default 1). */
  defaultPartitions?: number
}

/** Messages handled by one partition worker before it yields to the event loop, so I/O is never starved. */
const YIELD_EVERY = 256

/**
 * The partition of a key, as Kafka's default (Java) partitioner computes it: positive murmur2 of the key's UTF-8
 * bytes, modulo the count, as `KafkaBus`'s producer places it (its compatibilityPartitioner), so both buses agree.
 */
export function partitionForKey(key: string, partitions: number): number {
  return kafkaPartition(Buffer.from(key, 'utf8'), partitions)
}

class PartitionLog {
  readonly entries: BusMessage[] = []
  /** Workers waiting for the next message of this partition. */
  readonly sleepers = new Set<PartitionWorker>()

  wakeSleepers(): void {
    for (const worker of this.sleepers) worker.wake()
    this.sleepers.clear()
  }
}

interface TopicState {
  name: string
  partitions: PartitionLog[]
}

/** One consumer group's state on one topic. Offsets are the next offset to consume (Kafka's convention). */
class GroupTopic {
  readonly committed: number[]
  readonly owner: (MemorySubscription | null)[]
  /** The message in hand on each partition, committed when it settles; a new owner waits for it. */
  readonly inFlight: (Promise<boolean> | null)[]
  /** Live subscriptions in join order; the round-robin assignment follows this order. */
  readonly members: MemorySubscription[] = []
  readonly drainWaiters: (() => void)[] = []

  constructor(readonly topic: TopicState) {
    const count = topic.partitions.length
    this.committed = new Array<number>(count).fill(0)
    this.owner = new Array<MemorySubscription | null>(count).fill(null)
    this.inFlight = new Array<Promise<boolean> | null>(count).fill(null)
  }

  lag(): number {
    let lag = 0
    this.topic.partitions.forEach((log, partition) => {
      lag += log.entries.length - (this.committed[partition] ?? 0)
    })
    return lag
  }

  notifyIfDrained(): void {
    if (this.drainWaiters.length === 0 || this.lag() > 0) return
    for (const resolve of this.drainWaiters.splice(0)) resolve()
  }
}

/** A sleeping worker is a pending promise and nothing else: no timer, no handle. */
class PartitionWorker {
  private wakeUp: (() => void) | null = null

  constructor(readonly partition: number) {}

  sleep(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve
    })
  }

  wake(): void {
    const wakeUp = this.wakeUp
    this.wakeUp = null
    wakeUp?.()
  }
}

class MemorySubscription implements Subscription {
  readonly done: Promise<void>
  readonly workers = new Map<number, PartitionWorker>()
  state: 'active' | 'stopping' | 'ended' = 'active'
  private failure: { error: unknown } | null = null
  private readonly ended: Promise<void>
  private resolveEnded!: () => void
  private settleDone!: (failure: { error: unknown } | null) => void

  constructor(
    readonly group: GroupTopic,
    readonly handler: MessageHandler,
    readonly batchSize: number,
    readonly concurrency: number,
    private readonly onStop: (subscription: MemorySubscription) => void,
    private readonly onEnd: (subscription: MemorySubscription) => void,
  ) {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve
    })
    this.done = new Promise<void>((resolve, reject) => {
      this.settleDone = (failure) => (failure === null ? resolve() : reject(failure.error))
    })
  }

  close(): Promise<void> {
    this.stop()
    return this.ended
  }

  /** A handler threw: remember the first error, stop taking messages, let the others in hand finish. */
  fail(error: unknown): void {
    this.failure ??= { error }
    this.stop()
  }

  stop(): void {
    if (this.state !== 'active') return
    this.state = 'stopping'
    this.onStop(this)
    for (const worker of this.workers.values()) worker.wake()
    this.endIfIdle()
  }

  workerExited(partition: number): void {
    this.workers.delete(partition)
    this.endIfIdle()
  }

  private endIfIdle(): void {
    if (this.state !== 'stopping' || this.workers.size > 0) return
    this.state = 'ended'
    this.onEnd(this)
    this.settleDone(this.failure)
    this.resolveEnded()
  }
}

/** In-process {@link Bus}; see the module comment for the semantics. */
export class MemoryBus implements Bus {
  readonly description = describeMemoryBackend()
  readonly durable = false
  private readonly defaultPartitions: number
  private readonly topics = new Map<string, TopicState>()
  private readonly groups = new Map<string, GroupTopic>()
  private readonly subscriptions = new Set<MemorySubscription>()
  /** close() was called: no new subscriptions. */
  private closing = false
  /** Every subscription has ended: nothing at all. Handlers in hand may publish until then. */
  private closed = false

  constructor(options: MemoryBusOptions = {}) {
    const partitions = options.defaultPartitions ?? 1
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new RangeError(`defaultPartitions must be a positive integer, got ${partitions}`)
    this.defaultPartitions = partitions
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    this.assertOpen()
    for (const spec of topics) {
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new RangeError(`topic ${spec.name}: partitions must be a positive integer, got ${spec.partitions}`)
      }
    }
    for (const spec of topics) this.topic(spec.name, spec.partitions)
  }

  async publish(topic: string, messages: readonly (BusMessage | BinaryBusMessage)[]): Promise<void> {
    this.assertOpen()
    // Bytes are for readers outside this process (Avro alert streams), which an in-process bus has none of.
    const texts: BusMessage[] = []
    for (const message of messages) {
      if (typeof message.key !== 'string' || typeof message.value !== 'string') {
        throw new MessageInvalidError(`a message for ${topic} needs a string key and a string value (the in-process bus carries text only)`)
      }
      texts.push(message as BusMessage)
    }
    const state = this.topic(topic, this.defaultPartitions)
    const touched = new Set<PartitionLog>()
    for (const { key, value } of texts) {
      const log = state.partitions[partitionForKey(key, state.partitions.length)]!
      log.entries.push({ key, value })
      touched.add(log)
    }
    for (const log of touched) log.wakeSleepers()
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen()
    if (this.closing) throw new ClosedError('memory bus')
    const group = this.groupTopic(options.topic, options.group)
    const subscription = new MemorySubscription(
      group,
      options.handler,
      options.batchSize ?? 1,
      options.concurrency ?? 1,
      (stopping) => this.leave(stopping),
      (ended) => this.subscriptions.delete(ended),
    )
    this.subscriptions.add(subscription)
    group.members.push(subscription)
    this.rebalance(group)
    return subscription
  }

  async ping(): Promise<void> {
    this.assertOpen()
  }

  /** Ends the subscriptions (their messages in hand finish, and may still publish), then refuses everything. */
  async close(): Promise<void> {
    this.closing = true
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()))
    this.closed = true
  }

  async consumerLag(consumers: readonly ConsumerOf[]): Promise<PartitionLag[]> {
    this.assertOpen()
    return lagOf(
      consumers,
      (topic) => this.topics.get(topic)?.partitions.map((log) => log.entries.length),
      (topic, group) => this.groups.get(groupKey(topic, group))?.committed,
    )
  }

  /** Messages of the topic that the group has not committed yet (a message in hand counts). */
  lag(topic: string, group: string): number {
    const state = this.groups.get(groupKey(topic, group))
    if (state !== undefined) return state.lag()
    const log = this.topics.get(topic)
    return log === undefined ? 0 : log.partitions.reduce((sum, partition) => sum + partition.entries.length, 0)
  }

  /** Resolves once the group has committed everything published to the topic so far (lag 0). */
  whenConsumed(topic: string, group: string): Promise<void> {
    const state = this.groupTopic(topic, group)
    if (state.lag() === 0) return Promise.resolve()
    return new Promise((resolve) => state.drainWaiters.push(resolve))
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('memory bus')
  }

  private topic(name: string, partitions: number): TopicState {
    let state = this.topics.get(name)
    if (state === undefined) {
      state = { name, partitions: Array.from({ length: partitions }, () => new PartitionLog()) }
      this.topics.set(name, state)
    }
    return state
  }

  private groupTopic(topic: string, group: string): GroupTopic {
    const key = groupKey(topic, group)
    let state = this.groups.get(key)
    if (state === undefined) {
      state = new GroupTopic(this.topic(topic, this.defaultPartitions))
      this.groups.set(key, state)
    }
    return state
  }

  private leave(subscription: MemorySubscription): void {
    const group = subscription.group
    const index = group.members.indexOf(subscription)
    if (index >= 0) group.members.splice(index, 1)
    this.rebalance(group)
  }

  /** Round robin over the live members; revoked workers finish their message in hand and exit. */
  private rebalance(group: GroupTopic): void {
    const members = group.members
    for (let partition = 0; partition < group.owner.length; partition += 1) {
      const next = members.length === 0 ? null : members[partition % members.length]!
      const previous = group.owner[partition] ?? null
      if (next === previous) continue
      group.owner[partition] = next
      previous?.workers.get(partition)?.wake()
      if (next !== null) this.startWorker(next, partition)
    }
  }

  private startWorker(subscription: MemorySubscription, partition: number): void {
    // A worker of this subscription that is still finishing its message simply carries on as owner.
    if (subscription.workers.has(partition)) return
    const worker = new PartitionWorker(partition)
    subscription.workers.set(partition, worker)
    void this.runWorker(subscription, worker)
  }

  private async runWorker(subscription: MemorySubscription, worker: PartitionWorker): Promise<void> {
    const { group } = subscription
    const { partition } = worker
    const log = group.topic.partitions[partition]!
    const owns = (): boolean => subscription.state === 'active' && group.owner[partition] === subscription
    try {
      // Never call a handler from inside subscribe() or publish(); and let the previous owner finish first.
      await Promise.resolve()
      const previous = group.inFlight[partition]
      if (previous !== null && previous !== undefined) await previous
      let handled = 0
      while (owns()) {
        const offset = group.committed[partition]!
        if (log.entries.length <= offset) {
          log.sleepers.add(worker)
          await worker.sleep()
          log.sleepers.delete(worker)
          continue
        }
        const end = Math.min(log.entries.length, offset + subscription.batchSize)
        const messages: ReceivedMessage[] = log.entries.slice(offset, end).map((entry, index) => ({
          topic: group.topic.name,
          partition,
          offset: BigInt(offset + index),
          key: entry.key,
          value: entry.value,
        }))
        const task = this.deliver(subscription, partition, messages)
        group.inFlight[partition] = task
        const ok = await task
        if (group.inFlight[partition] === task) group.inFlight[partition] = null
        if (!ok) break
        const before = handled
        handled += messages.length
        if (Math.floor(handled / YIELD_EVERY) > Math.floor(before / YIELD_EVERY))
          await new Promise<void>((resolve) => setImmediate(resolve))
      }
    } catch (error) {
      subscription.fail(error)
    } finally {
      log.sleepers.delete(worker)
      subscription.workerExited(partition)
    }
  }

  /** Runs the batch's handlers; commits what they handled (even if the partition was revoked meanwhile: the new owner waits). */
  private async deliver(subscription: MemorySubscription, partition: number, messages: readonly ReceivedMessage[]): Promise<boolean> {
    const { commits, failure } = await handleBatch(messages, subscription.concurrency, subscription.handler)
    const { group } = subscription
    const next = commits.get(partition)
    if (next !== undefined) group.committed[partition] = Math.max(group.committed[partition]!, Number(next))
    group.notifyIfDrained()
    if (failure === null) return true
    subscription.fail(failure.error)
    return false
  }
}

function groupKey(topic: string, group: string): string {
  return `${group}\u0000${topic}`
}
