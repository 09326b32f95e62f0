import { compatibilityPartitioner, murmur2 } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { MemoryBus, partitionForKey } from '../../../src/adapters/memory/memory-bus.js'
import { ClosedError, MessageInvalidError } from '../../../src/core/errors.js'
import type { ReceivedMessage } from '../../../src/core/ports/bus.js'
import { busContract, Inbox, messagesFor, settled } from '../../contracts/bus-contract.js'
import { memoryBackend } from '../../support/bus-backends.js'

busContract('memory', memoryBackend.open)

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((resolve) => {
    open = resolve
  })
  return { wait, open }
}

describe('MemoryBus partitioning', () => {
  it('hashes keys like Kafka: the murmur2 of @platformatic/kafka matches the Java client', () => {
    // Reference values of the Java client's Utils.murmur2 (from Kafka's own UtilsTest).
    expect(murmur2('21')).toBe(-973932308)
    expect(murmur2('foobar')).toBe(-790332482)
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536)
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829)
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971)
    expect(murmur2('abc')).toBe(479470107)
    for (const key of ['', 'mock', 'stream-1', 'camera/7', 'ünïcode', 'x'.repeat(101)]) {
      for (const partitions of [1, 3, 7]) {
        const library = compatibilityPartitioner({ topic: 't', key }, Buffer.from(key)) % partitions
        expect(partitionForKey(key, partitions), `${key} over ${partitions}`).toBe(library)
      }
    }
  })

  it('places keys on the same partitions as the hand-written murmur2 it replaced', () => {
    // Partitions over 3, 7 and 12 computed by the bus's former copy of murmur2: existing data keeps its place.
    const before: Record<string, [number, number, number]> = {
      '': [0, 2, 9],
      mock: [2, 5, 8],
      'stream-1': [1, 0, 10],
      'stream-2': [2, 0, 8],
      'camera/7': [0, 6, 0],
      ünïcode: [1, 6, 1],
      日本: [0, 1, 3],
      ['x'.repeat(101)]: [1, 6, 4],
      a: [1, 5, 4],
      ab: [2, 0, 2],
      abc: [0, 4, 3],
      abcd: [2, 5, 8],
      abcde: [1, 4, 1],
    }
    for (const [key, expected] of Object.entries(before)) {
      expect(
        [3, 7, 12].map((partitions) => partitionForKey(key, partitions)),
        key,
      ).toEqual(expected)
    }
  })

  it('creates a topic on first publish with the default partition count and keeps explicit counts', async () => {
    const bus = new MemoryBus({ defaultPartitions: 5 })
    await bus.ensureTopics([{ name: 'explicit', partitions: 2 }])
    await bus.ensureTopics([{ name: 'explicit', partitions: 9 }])
    const keys = Array.from({ length: 40 }, (_, index) => `k${index}`)
    await bus.publish('explicit', messagesFor(keys, 1))
    await bus.publish('implicit', messagesFor(keys, 1))
    const explicit = new Inbox()
    const implicit = new Inbox()
    await bus.subscribe({ topic: 'explicit', group: 'g', handler: explicit.handler })
    await bus.subscribe({ topic: 'implicit', group: 'g', handler: implicit.handler })
    await Promise.all([explicit.count(40), implicit.count(40)])
    expect(new Set(explicit.messages.map((message) => message.partition))).toEqual(new Set([0, 1]))
    expect(new Set(implicit.messages.map((message) => message.partition))).toEqual(new Set([0, 1, 2, 3, 4]))
    await bus.close()
  })

  it('rejects bad options and messages', async () => {
    expect(() => new MemoryBus({ defaultPartitions: 0 })).toThrow(RangeError)
    const bus = new MemoryBus()
    await expect(bus.ensureTopics([{ name: 't', partitions: 0 }])).rejects.toThrow(RangeError)
    await expect(bus.publish('t', [{ key: 'k', value: 1 as unknown as string }])).rejects.toBeInstanceOf(MessageInvalidError)
    await bus.close()
  })
})

describe('MemoryBus offsets and lag', () => {
  it('counts the lag of a group, also before it subscribed, and resolves whenConsumed at zero', async () => {
    const bus = new MemoryBus({ defaultPartitions: 3 })
    expect(bus.lag('nothing', 'g')).toBe(0)
    await bus.publish('t', messagesFor(['a', 'b', 'c', 'd'], 25))
    expect(bus.lag('t', 'g')).toBe(100)
    const consumed = bus.whenConsumed('t', 'g')
    const inbox = new Inbox()
    await bus.subscribe({ topic: 't', group: 'g', handler: inbox.handler })
    await consumed
    expect(bus.lag('t', 'g')).toBe(0)
    expect(inbox.messages).toHaveLength(100)
    expect(bus.lag('t', 'other')).toBe(100)
    await bus.publish('t', messagesFor(['e'], 1))
    await bus.whenConsumed('t', 'g')
    expect(inbox.messages).toHaveLength(101)
    await bus.close()
  })

  it('numbers offsets per partition from zero, without gaps', async () => {
    const bus = new MemoryBus({ defaultPartitions: 2 })
    await bus.publish('t', messagesFor(['a', 'b', 'c', 'd', 'e', 'f'], 10))
    const inbox = new Inbox()
    await bus.subscribe({ topic: 't', group: 'g', handler: inbox.handler })
    await bus.whenConsumed('t', 'g')
    for (const partition of [0, 1]) {
      const offsets = inbox.messages.filter((message) => message.partition === partition).map((message) => message.offset)
      expect(offsets).toEqual(offsets.map((_, index) => BigInt(index)))
    }
    await bus.close()
  })

  it('pushes tens of thousands of messages through a group quickly and in key order', async () => {
    const bus = new MemoryBus({ defaultPartitions: 4 })
    const keys = Array.from({ length: 50 }, (_, index) => `s${index}`)
    const messages = messagesFor(keys, 400)
    await bus.publish('big', messages)
    const last = new Map<string, number>()
    let count = 0
    await bus.subscribe({
      topic: 'big',
      group: 'g',
      handler: async (message) => {
        const { index } = JSON.parse(message.value) as { index: number }
        expect(index).toBe((last.get(message.key) ?? -1) + 1)
        last.set(message.key, index)
        count += 1
      },
    })
    await bus.whenConsumed('big', 'g')
    expect(count).toBe(messages.length)
    await bus.close()
  })
})

describe('MemoryBus consumer groups', () => {
  it('re-divides partitions when a subscription joins, finishing the message in hand before the new owner starts', async () => {
    const bus = new MemoryBus({ defaultPartitions: 2 })
    const keys = Array.from({ length: 8 }, (_, index) => `k${index}`)
    const byPartition = new Map<number, string>()
    for (const key of keys) byPartition.set(partitionForKey(key, 2), key)
    const keyOfPartition1 = byPartition.get(1)!
    await bus.publish('t', messagesFor([keyOfPartition1], 3))
    const blocked = gate()
    const release = gate()
    const active = new Map<number, number>()
    let overlapping = 0
    const handled: { by: string; message: ReceivedMessage }[] = []
    const handler = (by: string) => async (message: ReceivedMessage) => {
      active.set(message.partition, (active.get(message.partition) ?? 0) + 1)
      if (active.get(message.partition)! > 1) overlapping += 1
      if (by === 'first' && message.offset === 0n) {
        blocked.open()
        await release.wait
      }
      handled.push({ by, message })
      active.set(message.partition, active.get(message.partition)! - 1)
    }
    await bus.subscribe({ topic: 't', group: 'g', handler: handler('first') })
    await blocked.wait
    // Round robin in join order: partition 1 moves to the second subscription while the first holds offset 0.
    await bus.subscribe({ topic: 't', group: 'g', handler: handler('second') })
    release.open()
    await bus.whenConsumed('t', 'g')
    expect(overlapping).toBe(0)
    expect(handled.map(({ by, message }) => `${by}@${message.offset}`)).toEqual(['first@0', 'second@1', 'second@2'])
    await bus.close()
  })

  it('hands the failed message to the group’s other subscription when a handler throws', async () => {
    const bus = new MemoryBus({ defaultPartitions: 1 })
    await bus.publish('t', messagesFor(['only'], 4))
    const boom = new Error('boom')
    const seen: string[] = []
    const failing = await bus.subscribe({
      topic: 't',
      group: 'g',
      handler: async (message) => {
        seen.push(`failing@${message.offset}`)
        if (message.offset === 1n) throw boom
      },
    })
    const outcome = settled(failing.done)
    const inbox = new Inbox()
    await bus.subscribe({
      topic: 't',
      group: 'g',
      handler: async (message) => {
        seen.push(`standby@${message.offset}`)
        inbox.push(message)
      },
    })
    await expect(failing.done).rejects.toBe(boom)
    expect(await outcome).toBe('rejected')
    await bus.whenConsumed('t', 'g')
    expect(seen).toEqual(['failing@0', 'failing@1', 'standby@1', 'standby@2', 'standby@3'])
    await bus.close()
  })

  it('treats a synchronous throw like a rejected promise', async () => {
    const bus = new MemoryBus()
    await bus.publish('t', messagesFor(['a'], 1))
    const boom = new Error('sync')
    const subscription = await bus.subscribe({
      topic: 't',
      group: 'g',
      handler: (() => {
        throw boom
      }) as unknown as (message: ReceivedMessage) => Promise<void>,
    })
    await expect(subscription.done).rejects.toBe(boom)
    expect(bus.lag('t', 'g')).toBe(1)
    await bus.close()
  })

  it('does not call a handler from inside subscribe()', async () => {
    const bus = new MemoryBus()
    await bus.publish('t', messagesFor(['a'], 1))
    const inbox = new Inbox()
    const subscribing = bus.subscribe({ topic: 't', group: 'g', handler: inbox.handler })
    expect(inbox.messages).toHaveLength(0)
    await subscribing
    await inbox.count(1)
    await bus.close()
  })

  it('close is idempotent and later calls fail with ClosedError', async () => {
    const bus = new MemoryBus()
    const subscription = await bus.subscribe({ topic: 't', group: 'g', handler: async () => {} })
    await subscription.close()
    await subscription.close()
    await bus.close()
    await bus.close()
    await expect(bus.publish('t', messagesFor(['a'], 1))).rejects.toBeInstanceOf(ClosedError)
    await expect(bus.subscribe({ topic: 't', group: 'g', handler: async () => {} })).rejects.toBeInstanceOf(ClosedError)
    await expect(bus.ping()).rejects.toBeInstanceOf(ClosedError)
  })

  it('holds no timer or handle, idle or closed', async () => {
    const before = process.getActiveResourcesInfo().length
    const bus = new MemoryBus({ defaultPartitions: 2 })
    await bus.publish('t', messagesFor(['a', 'b'], 600))
    const inbox = new Inbox()
    await bus.subscribe({ topic: 't', group: 'g', handler: inbox.handler })
    await bus.whenConsumed('t', 'g')
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(before)
    await bus.close()
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(before)
  })
})
