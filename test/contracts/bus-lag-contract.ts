/**
 * Bus.consumerLag, the same on every adapter: a group's lag is what was published and not committed, per
 * partition; it grows while the group's consumer is stopped and returns to 0 once a consumer drained the topic.
 * Commits may land a little after the handler resolved (Kafka commits in batches), so waits poll until the
 * condition holds and the test's own timeout fails it otherwise.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { PartitionLag } from '../../src/core/ports/bus.js'
import { Inbox, messagesFor, type BusFixture } from './bus-contract.js'

const total = (rows: readonly PartitionLag[]): bigint => rows.reduce((sum, row) => sum + row.lag, 0n)

export function busLagContract(name: string, open: () => Promise<BusFixture>): void {
  describe(`Bus.consumerLag contract: ${name}`, () => {
    let fixture: BusFixture
    beforeEach(async () => {
      fixture = await open()
    })
    afterEach(async () => {
      await fixture.cleanup()
    })

    async function lagUntil(consumer: { group: string; topic: string }, test: (rows: PartitionLag[]) => boolean): Promise<PartitionLag[]> {
      for (;;) {
        const rows = await fixture.bus.consumerLag([consumer])
        if (test(rows)) return rows
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }

    it('shows the backlog of a stopped consumer per partition, and 0 once it drained', async () => {
      const { bus } = fixture
      const consumer = { topic: fixture.topic('lag'), group: fixture.topic('lag-group') }
      await bus.ensureTopics([{ name: consumer.topic, partitions: 2 }])
      await bus.publish(consumer.topic, messagesFor(['a', 'b', 'c', 'd'], 2))

      const before = await bus.consumerLag([consumer])
      expect(before.map((row) => [row.group, row.topic, row.partition])).toEqual([
        [consumer.group, consumer.topic, 0],
        [consumer.group, consumer.topic, 1],
      ])
      expect(before.every((row) => row.committedOffset === null)).toBe(true)
      expect(total(before)).toBe(8n)
      expect(before.reduce((sum, row) => sum + row.endOffset, 0n)).toBe(8n)

      const inbox = new Inbox()
      let subscription = await bus.subscribe({ ...consumer, handler: inbox.handler })
      await inbox.count(8)
      const drained = await lagUntil(consumer, (rows) => total(rows) === 0n && rows.every((row) => row.committedOffset !== null))
      for (const row of drained) expect(row.committedOffset).toBe(row.endOffset)
      await subscription.close()

      // The consumer is stopped: what is published now waits, and shows as lag.
      await bus.publish(consumer.topic, messagesFor(['a', 'b', 'c'], 1, 'late'))
      const waiting = await bus.consumerLag([consumer])
      expect(total(waiting)).toBe(3n)
      expect(waiting.reduce((sum, row) => sum + row.endOffset, 0n)).toBe(11n)
      expect(waiting.reduce((sum, row) => sum + (row.committedOffset ?? 0n), 0n)).toBe(8n)

      subscription = await bus.subscribe({ ...consumer, handler: inbox.handler })
      await inbox.count(11)
      await lagUntil(consumer, (rows) => total(rows) === 0n)
      await subscription.close()
    })

    it('lists nothing for a topic that does not exist', async () => {
      expect(await fixture.bus.consumerLag([{ topic: fixture.topic('missing'), group: fixture.topic('g') }])).toEqual([])
    })
  })
}
