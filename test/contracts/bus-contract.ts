/**
 * The behaviour every Bus adapter must show (see src/core/ports/bus.ts): per-key order, partitioning by key,
 * consumer groups sharing partitions, independent groups, earliest offset for new groups, commit after
 * success, close waiting for the message in hand, and a large batch delivered once.
 *
 * Nothing here measures time: waits end when a condition becomes true, or the test's own timeout fails it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Bus, BusMessage, ReceivedMessage, Subscription } from '../../src/core/ports/bus.js'

/** What a backend gives each test: a bus, unique topic (and group) names, and a cleanup. */
export interface BusFixture {
  bus: Bus
  /** A topic or group name no other test or earlier run uses. */
  topic(name: string): string
  cleanup(): Promise<void>
}

/** Collects handled messages and resolves waits when a condition over them becomes true. */
export class Inbox {
  readonly messages: ReceivedMessage[] = []
  private readonly waiters: { test: () => boolean; resolve: () => void }[] = []

  readonly handler = async (message: ReceivedMessage): Promise<void> => {
    this.push(message)
  }

  push(message: ReceivedMessage): void {
    this.messages.push(message)
    for (const waiter of [...this.waiters]) {
      if (!waiter.test()) continue
      this.waiters.splice(this.waiters.indexOf(waiter), 1)
      waiter.resolve()
    }
  }

  values(): string[] {
    return this.messages.map((message) => message.value)
  }

  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ test, resolve }))
  }

  count(n: number): Promise<void> {
    return this.until(() => this.messages.length >= n)
  }
}

/** Resolves when `promise` settles, with a tag saying how, so a test can assert an order of events. */
export function settled(promise: Promise<unknown>): Promise<'resolved' | 'rejected'> {
  return promise.then(
    () => 'resolved' as const,
    () => 'rejected' as const,
  )
}

/** `perKey` messages for each key, interleaved; each key's `index` counts up from `start` in publish order. */
export function messagesFor(keys: readonly string[], perKey: number, tag = 'm', start = 0): BusMessage[] {
  const messages: BusMessage[] = []
  for (let index = start; index < start + perKey; index += 1) {
    for (const key of keys) messages.push({ key, value: JSON.stringify({ tag, key, index }) })
  }
  return messages
}

function parsed(message: ReceivedMessage): { key: string; index: number } {
  return JSON.parse(message.value) as { key: string; index: number }
}

function expectKeyOrder(messages: readonly ReceivedMessage[]): void {
  const byKey = new Map<string, number[]>()
  for (const message of messages) {
    const { key, index } = parsed(message)
    expect(message.key).toBe(key)
    byKey.set(key, [...(byKey.get(key) ?? []), index])
  }
  for (const [key, indexes] of byKey) {
    expect(indexes, `messages of key ${key} in publish order`).toEqual([...indexes].sort((a, b) => a - b))
  }
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((resolve) => {
    open = resolve
  })
  return { wait, open }
}

const KEYS = Array.from({ length: 12 }, (_, index) => `stream-${index}`)

export function busContract(name: string, open: () => Promise<BusFixture>): void {
  describe(`Bus contract: ${name}`, () => {
    let fixture: BusFixture
    let bus: Bus
    const subscriptions: Subscription[] = []

    beforeEach(async () => {
      fixture = await open()
      bus = fixture.bus
    })

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.close()))
      await fixture.cleanup()
    })

    async function subscribe(topic: string, group: string, handler: (message: ReceivedMessage) => Promise<void>): Promise<Subscription> {
      const subscription = await bus.subscribe({ topic, group, handler })
      subscriptions.push(subscription)
      return subscription
    }

    it('answers ping, describes itself without credentials, and tolerates ensureTopics twice', async () => {
      await bus.ping()
      expect(bus.description).not.toMatch(/@|password/i)
      const topic = fixture.topic('ensure')
      await bus.ensureTopics([{ name: topic, partitions: 2 }])
      await bus.ensureTopics([{ name: topic, partitions: 2 }])
    })

    it('delivers the messages of one key in publish order, one publish call or several', async () => {
      const topic = fixture.topic('order')
      await bus.ensureTopics([{ name: topic, partitions: 3 }])
      const messages = messagesFor(KEYS.slice(0, 4), 10)
      await bus.publish(topic, messages.slice(0, 20))
      for (const message of messages.slice(20)) await bus.publish(topic, [message])
      const inbox = new Inbox()
      await subscribe(topic, fixture.topic('group'), inbox.handler)
      await inbox.count(messages.length)
      expect(inbox.messages).toHaveLength(messages.length)
      expectKeyOrder(inbox.messages)
      expect(new Set(inbox.values())).toEqual(new Set(messages.map((message) => message.value)))
      for (const message of inbox.messages) {
        expect(message.topic).toBe(topic)
        expect(typeof message.offset).toBe('bigint')
      }
    })

    it('spreads keys over partitions and keeps each key on one partition', async () => {
      const topic = fixture.topic('spread')
      await bus.ensureTopics([{ name: topic, partitions: 4 }])
      const messages = messagesFor(KEYS, 2)
      await bus.publish(topic, messages)
      const inbox = new Inbox()
      await subscribe(topic, fixture.topic('group'), inbox.handler)
      await inbox.count(messages.length)
      const partitionsOfKey = new Map<string, Set<number>>()
      for (const message of inbox.messages) {
        partitionsOfKey.set(message.key, (partitionsOfKey.get(message.key) ?? new Set()).add(message.partition))
      }
      for (const partitions of partitionsOfKey.values()) expect(partitions.size).toBe(1)
      const used = new Set(inbox.messages.map((message) => message.partition))
      expect(used.size).toBeGreaterThan(1)
      for (const partition of used) expect(partition).toBeLessThan(4)
    })

    it('splits one group between two subscriptions: disjoint, complete, in key order', async () => {
      const topic = fixture.topic('split')
      const group = fixture.topic('group')
      await bus.ensureTopics([{ name: topic, partitions: 4 }])
      const first = new Inbox()
      const second = new Inbox()
      await subscribe(topic, group, first.handler)
      await subscribe(topic, group, second.handler)
      const messages = messagesFor(KEYS, 10)
      await bus.publish(topic, messages)
      const all = (): number => first.messages.length + second.messages.length
      await Promise.race([first.until(() => all() >= messages.length), second.until(() => all() >= messages.length)])
      const firstValues = new Set(first.values())
      const overlap = second.values().filter((value) => firstValues.has(value))
      expect(overlap).toEqual([])
      expect(new Set([...first.values(), ...second.values()])).toEqual(new Set(messages.map((message) => message.value)))
      expect(first.messages.length).toBeGreaterThan(0)
      expect(second.messages.length).toBeGreaterThan(0)
      expectKeyOrder(first.messages)
      expectKeyOrder(second.messages)
    })

    it('gives every group all the messages, including those published before it subscribed', async () => {
      const topic = fixture.topic('groups')
      await bus.ensureTopics([{ name: topic, partitions: 2 }])
      const before = messagesFor(KEYS.slice(0, 3), 5, 'before')
      await bus.publish(topic, before)
      const a = new Inbox()
      const b = new Inbox()
      await subscribe(topic, fixture.topic('group-a'), a.handler)
      await subscribe(topic, fixture.topic('group-b'), b.handler)
      const after = messagesFor(KEYS.slice(0, 3), 5, 'after', 5)
      await bus.publish(topic, after)
      const expected = [...before, ...after].map((message) => message.value).sort()
      await Promise.all([a.count(expected.length), b.count(expected.length)])
      expect(a.values().sort()).toEqual(expected)
      expect(b.values().sort()).toEqual(expected)
      expectKeyOrder(a.messages)
      expectKeyOrder(b.messages)
    })

    it('commits only after success: a throw ends the subscription and the message comes back', async () => {
      const topic = fixture.topic('fail')
      const group = fixture.topic('group')
      await bus.ensureTopics([{ name: topic, partitions: 1 }])
      const messages = messagesFor(['only'], 5)
      await bus.publish(topic, messages)
      const seen: string[] = []
      const failure = new Error('handler failed on the third message')
      const failing = await subscribe(topic, group, async (message) => {
        seen.push(message.value)
        if (seen.length === 3) throw failure
      })
      await expect(failing.done).rejects.toBe(failure)
      expect(seen).toEqual(messages.slice(0, 3).map((message) => message.value))
      await failing.close()

      const inbox = new Inbox()
      await subscribe(topic, group, inbox.handler)
      await inbox.count(3)
      expect(inbox.values()).toEqual(messages.slice(2).map((message) => message.value))
    })

    it('close waits for the message in hand, commits it, and the next subscription resumes right after', async () => {
      const topic = fixture.topic('close')
      const group = fixture.topic('group')
      await bus.ensureTopics([{ name: topic, partitions: 1 }])
      const messages = messagesFor(['only'], 5)
      await bus.publish(topic, messages)
      const events: string[] = []
      const entered = gate()
      const release = gate()
      const first = await subscribe(topic, group, async (message) => {
        events.push(`start ${parsed(message).index}`)
        if (parsed(message).index === 1) {
          entered.open()
          await release.wait
        }
        events.push(`end ${parsed(message).index}`)
      })
      await entered.wait
      const closing = first.close().then(() => events.push('closed'))
      // Give a wrong implementation every chance to finish closing early; the assertion is on order only.
      await new Promise((resolve) => setTimeout(resolve, 200))
      events.push('released')
      release.open()
      await closing
      await first.done
      expect(events).toEqual(['start 0', 'end 0', 'start 1', 'released', 'end 1', 'closed'])

      const inbox = new Inbox()
      await subscribe(topic, group, inbox.handler)
      await inbox.count(3)
      expect(inbox.values()).toEqual(messages.slice(2).map((message) => message.value))
    })

    it('delivers a large batch exactly once to a single subscriber', async () => {
      const topic = fixture.topic('large')
      await bus.ensureTopics([{ name: topic, partitions: 3 }])
      const messages = messagesFor(KEYS, Math.ceil(2_000 / KEYS.length)).slice(0, 2_000)
      for (let start = 0; start < messages.length; start += 500) await bus.publish(topic, messages.slice(start, start + 500))
      const inbox = new Inbox()
      await subscribe(topic, fixture.topic('group'), inbox.handler)
      await inbox.count(messages.length)
      expect(inbox.messages).toHaveLength(messages.length)
      expect(new Set(inbox.values()).size).toBe(messages.length)
      expectKeyOrder(inbox.messages)
    })

    it('handles batches with several handlers in flight, each message once, and commits per batch', async () => {
      const topic = fixture.topic('batched')
      const group = fixture.topic('group')
      // One partition: the bound on handlers in flight holds per batch, and the in-process bus runs a batch per partition.
      await bus.ensureTopics([{ name: topic, partitions: 1 }])
      const messages = messagesFor(KEYS, 30).slice(0, 300)
      await bus.publish(topic, messages)
      const inbox = new Inbox()
      let inFlight = 0
      let mostInFlight = 0
      const subscription = await bus.subscribe({
        topic,
        group,
        batchSize: 50,
        concurrency: 4,
        handler: async (message) => {
          inFlight += 1
          mostInFlight = Math.max(mostInFlight, inFlight)
          await new Promise((resolve) => setTimeout(resolve, 1))
          inFlight -= 1
          inbox.push(message)
        },
      })
      subscriptions.push(subscription)
      await inbox.count(messages.length)
      expect(new Set(inbox.values()).size).toBe(messages.length)
      expect(inbox.messages).toHaveLength(messages.length)
      expect(mostInFlight).toBeGreaterThan(1)
      expect(mostInFlight).toBeLessThanOrEqual(4)
      await subscription.close()
      // Everything was committed: a new member of the group gets nothing more.
      const late = new Inbox()
      await subscribe(topic, group, late.handler)
      await bus.publish(topic, [{ key: 'after', value: 'after' }])
      await late.count(1)
      expect(late.values()).toEqual(['after'])
    })

    it('a failure in a batch commits the handled run before it, and the failed message comes back', async () => {
      const topic = fixture.topic('batch-fail')
      const group = fixture.topic('group')
      await bus.ensureTopics([{ name: topic, partitions: 1 }])
      const messages = messagesFor(['only'], 10)
      await bus.publish(topic, messages)
      const failure = new Error('handler failed on message 4')
      const failing = await bus.subscribe({
        topic,
        group,
        batchSize: 10,
        concurrency: 1,
        handler: async (message) => {
          if (parsed(message).index === 4) throw failure
        },
      })
      subscriptions.push(failing)
      await expect(failing.done).rejects.toBe(failure)
      await failing.close()
      const inbox = new Inbox()
      await subscribe(topic, group, inbox.handler)
      await inbox.count(6)
      expect(inbox.values()).toEqual(messages.slice(4).map((message) => message.value))
    })

    it('lets the message in hand finish, publishing included, while the bus closes; then refuses work', async () => {
      const topic = fixture.topic('closing-in')
      const downstream = fixture.topic('closing-out')
      await bus.ensureTopics([
        { name: topic, partitions: 1 },
        { name: downstream, partitions: 1 },
      ])
      await bus.publish(topic, messagesFor(['only'], 1))
      const entered = gate()
      const release = gate()
      const outcomes: string[] = []
      const subscription = await subscribe(topic, fixture.topic('group'), async (message) => {
        entered.open()
        await release.wait
        await bus.publish(downstream, [{ key: message.key, value: 'forwarded' }]).then(
          () => outcomes.push('published'),
          (error: unknown) => outcomes.push(`publish failed: ${String(error)}`),
        )
      })
      await entered.wait
      const closing = bus.close()
      await expect(bus.subscribe({ topic, group: fixture.topic('late'), handler: async () => {} })).rejects.toMatchObject({
        code: 'IMGPIPE_CLOSED',
      })
      release.open()
      await closing
      await subscription.done
      expect(outcomes).toEqual(['published'])
      await expect(bus.publish(downstream, [{ key: 'k', value: 'v' }])).rejects.toMatchObject({ code: 'IMGPIPE_CLOSED' })
    })

    it('ends its subscriptions when the bus closes', async () => {
      const topic = fixture.topic('shutdown')
      const subscription = await subscribe(topic, fixture.topic('group'), async () => {})
      await bus.close()
      await expect(subscription.done).resolves.toBeUndefined()
    })
  })
}
