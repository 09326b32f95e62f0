/**
 * KafkaSubscription through KafkaBus on a real broker: a consumer group whose membership changes while it
 * works. Kafka's delivery is at-least-once, so the assertions are: nothing lost, each member sees each key in
 * order, and duplicates (counted) only where a partition moved while its message was in hand.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { KafkaBus } from '../../../src/adapters/kafka/kafka-bus.js'
import { clientRetryDelay } from '../../../src/adapters/kafka/kafka-subscription.js'
import { silentLogger } from '../../../src/core/logger.js'
import type { ReceivedMessage } from '../../../src/core/ports/bus.js'
import { messagesFor } from '../../contracts/bus-contract.js'
import { deleteKafkaNames, kafkaTestBrokers } from '../../support/bus-backends.js'
import { uniqueName } from '../../support/integration.js'

describe('clientRetryDelay', () => {
  it('doubles from 100 ms and stays at 2 s', () => {
    expect([1, 2, 3, 4, 5, 6, 30].map((attempt) => clientRetryDelay(null, 'produce', attempt))).toEqual([
      100, 200, 400, 800, 1600, 2000, 2000,
    ])
  })
})

const brokers = kafkaTestBrokers()

describe.skipIf(brokers === null)('KafkaSubscription in a changing consumer group', () => {
  const prefix = uniqueName('imgpipe-test-')
  const name = (suffix: string): string => `${prefix}.${suffix}`

  afterAll(async () => {
    if (brokers !== null) await deleteKafkaNames(brokers, prefix)
  })

  it('loses nothing while a member joins and another leaves mid-stream', async () => {
    const bus = new KafkaBus({ brokers: brokers!, clientId: prefix, defaultPartitions: 4, logger: silentLogger })
    const topic = name('rebalance')
    const group = name('rebalance-group')
    await bus.ensureTopics([{ name: topic, partitions: 4 }])
    const keys = Array.from({ length: 16 }, (_, index) => `k${index}`)
    const messages = messagesFor(keys, 25)
    const byMember: Record<'first' | 'second', ReceivedMessage[]> = { first: [], second: [] }
    const distinct = new Set<string>()
    const waiters: { count: number; resolve: () => void }[] = []
    const reach = (count: number): Promise<void> =>
      distinct.size >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))
    const handler = (member: 'first' | 'second') => async (message: ReceivedMessage) => {
      // Paced so that the membership changes happen in the middle of the stream.
      await new Promise((resolve) => setTimeout(resolve, 5))
      byMember[member].push(message)
      distinct.add(message.value)
      for (const waiter of waiters.filter((candidate) => distinct.size >= candidate.count)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
    await bus.publish(topic, messages)
    const first = await bus.subscribe({ topic, group, handler: handler('first') })
    await reach(60)
    const second = await bus.subscribe({ topic, group, handler: handler('second') })
    await reach(200)
    await first.close()
    await first.done
    await reach(messages.length)

    expect(distinct).toEqual(new Set(messages.map((message) => message.value)))
    expect(byMember.second.length).toBeGreaterThan(0)
    for (const member of ['first', 'second'] as const) {
      for (const key of keys) {
        const indexes = byMember[member]
          .filter((message) => message.key === key)
          .map((message) => (JSON.parse(message.value) as { index: number }).index)
        expect(indexes, `${member} sees ${key} in order`).toEqual([...indexes].sort((a, b) => a - b))
      }
    }
    const deliveries = byMember.first.length + byMember.second.length
    console.info(`rebalance: ${deliveries} deliveries of ${messages.length} messages (${deliveries - messages.length} redelivered)`)
    // At most the message in hand on each moved partition, twice over (one join, one leave).
    expect(deliveries - messages.length).toBeLessThanOrEqual(8)
    await second.close()
    await bus.close()
  }, 120_000)

  it('starts a message that arrives while a slow one is in hand, without waiting for it, and commits both', async () => {
    const bus = new KafkaBus({ brokers: brokers!, clientId: prefix, defaultPartitions: 1, logger: silentLogger })
    const topic = name('flow')
    const group = name('flow-group')
    await bus.ensureTopics([{ name: topic, partitions: 1 }])
    let releaseSlow!: () => void
    const slowReleased = new Promise<void>((resolve) => (releaseSlow = resolve))
    let slowEntered!: () => void
    const slowStarted = new Promise<void>((resolve) => (slowEntered = resolve))
    let fastHandled!: () => void
    const fastDone = new Promise<void>((resolve) => (fastHandled = resolve))
    const handled: string[] = []
    const subscription = await bus.subscribe({
      topic,
      group,
      batchSize: 16,
      concurrency: 2,
      handler: async (message) => {
        if (message.value === 'slow') {
          slowEntered()
          await slowReleased
        }
        handled.push(message.value)
        if (message.value === 'fast') fastHandled()
      },
    })
    await bus.publish(topic, [{ key: 'k', value: 'slow' }])
    await slowStarted
    await bus.publish(topic, [{ key: 'k', value: 'fast' }])
    // A batch-at-a-time consumer holds 'fast' until 'slow' finishes, which only happens after this race.
    const outcome = await Promise.race([
      fastDone.then(() => 'fast handled while slow in hand'),
      new Promise((resolve) => setTimeout(() => resolve('fast held back'), 10_000)),
    ])
    releaseSlow()
    expect(outcome).toBe('fast handled while slow in hand')
    await subscription.close()
    expect(handled).toEqual(['fast', 'slow'])
    // Both offsets were committed: the group's next member gets only what is published after.
    const late: string[] = []
    let gotAfter!: () => void
    const after = new Promise<void>((resolve) => (gotAfter = resolve))
    const next = await bus.subscribe({
      topic,
      group,
      handler: async (message) => {
        late.push(message.value)
        if (message.value === 'after') gotAfter()
      },
    })
    await bus.publish(topic, [{ key: 'k', value: 'after' }])
    await after
    expect(late).toEqual(['after'])
    await next.close()
    await bus.close()
  }, 60_000)
})
