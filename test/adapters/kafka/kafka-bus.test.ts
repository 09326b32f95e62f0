/**
 * KafkaBus against a real broker (IMGPIPE_TEST_KAFKA_URL, from `scripts/services.sh env`): the Bus contract,
 * a broker restart in the middle of a run, and interoperability with a client we did not write (kcat).
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaBus } from '../../../src/adapters/kafka/kafka-bus.js'
import { partitionForKey } from '../../../src/adapters/memory/memory-bus.js'
import { BusUnavailableError } from '../../../src/core/errors.js'
import { silentLogger } from '../../../src/core/logger.js'
import type { ReceivedMessage } from '../../../src/core/ports/bus.js'
import { busContract, Inbox, messagesFor } from '../../contracts/bus-contract.js'
import { deleteKafkaNames, kafkaBackend, kafkaTestBrokers } from '../../support/bus-backends.js'
import { inCi, uniqueName } from '../../support/integration.js'

const run = promisify(execFile)
const brokers = kafkaTestBrokers()
const ROOT = path.resolve(import.meta.dirname, '../../..')

if (brokers === null) {
  describe.skip('KafkaBus (IMGPIPE_TEST_KAFKA_URL is not set)', () => {
    it('needs a Kafka broker', () => {})
  })
} else {
  busContract('kafka', kafkaBackend(brokers).open)
  kafkaOnly(brokers)
}

async function hasKcat(): Promise<boolean> {
  try {
    await run('kcat', ['-V'])
    return true
  } catch {
    return false
  }
}

function kafkaOnly(brokers: string[]): void {
  describe('KafkaBus on a real broker', () => {
    const prefix = uniqueName('imgpipe-test-')
    const name = (suffix: string): string => `${prefix}.${suffix}`
    let bus: KafkaBus

    beforeAll(() => {
      bus = new KafkaBus({ brokers, clientId: prefix, defaultPartitions: 2, logger: silentLogger })
    })

    afterAll(async () => {
      await bus.close()
      await deleteKafkaNames(brokers, prefix)
    })

    it('reports an unreachable broker as a retryable BusUnavailableError', async () => {
      // Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
      const nowhere = new KafkaBus({ brokers: ['127.0.0.1:9'], clientId: prefix, defaultPartitions: 1, logger: silentLogger })
      const error = await nowhere.ping().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(BusUnavailableError)
      expect((error as BusUnavailableError).canRetry).toBe(true)
      expect((error as BusUnavailableError).cause).toBeDefined()
      await nowhere.close()
    })

    it('creates a missing topic on first publish with the default partition count', async () => {
      const topic = name('implicit')
      const keys = Array.from({ length: 16 }, (_, index) => `k${index}`)
      await bus.publish(topic, messagesFor(keys, 1))
      const inbox = new Inbox()
      const subscription = await bus.subscribe({ topic, group: name('implicit-group'), handler: inbox.handler })
      await inbox.count(keys.length)
      // Same partition as MemoryBus computes for each key: both use Kafka's Java partitioner.
      for (const message of inbox.messages) expect(message.partition).toBe(partitionForKey(message.key, 2))
      await subscription.close()
    })

    it('leaves no socket or timer behind once closed', async () => {
      const baseline = new Set(process.getActiveResourcesInfo())
      const own = new KafkaBus({ brokers, clientId: prefix, defaultPartitions: 1, logger: silentLogger })
      const topic = name('handles')
      await own.publish(topic, messagesFor(['a'], 3))
      const inbox = new Inbox()
      await own.subscribe({ topic, group: name('handles-group'), handler: inbox.handler })
      await inbox.count(3)
      await own.ping()
      await own.close()
      // Sockets report their closing a tick later.
      await new Promise((resolve) => setImmediate(resolve))
      const left = process.getActiveResourcesInfo().filter((resource) => !baseline.has(resource))
      expect(left).toEqual([])
    })

    it('writes messages that a client we did not write (kcat) reads back with key, value and partition', async (context) => {
      if (!(await hasKcat())) {
        if (inCi) throw new Error('kcat is missing: scripts/services.sh installs it (Debian package kcat)')
        context.skip('kcat is not installed (apt-get install kcat; scripts/services.sh installs it)')
      }
      const topic = name('kcat')
      await bus.ensureTopics([{ name: topic, partitions: 3 }])
      const messages = [
        { key: 'mock', value: JSON.stringify({ schema_version: 1, image_id: 1, stream: 'mock' }) },
        { key: 'camera-7', value: JSON.stringify({ schema_version: 1, image_id: 2, text: 'ünïcode ✓' }) },
      ]
      await bus.publish(topic, messages)
      const { stdout } = await run('kcat', ['-C', '-b', brokers.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\t%k\t%s\n'], {
        encoding: 'utf8',
      })
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t'))
      expect(lines.map(([, key, value]) => ({ key, value })).sort((a, b) => a.key!.localeCompare(b.key!))).toEqual(
        [...messages].sort((a, b) => a.key.localeCompare(b.key)),
      )
      for (const [partition, key] of lines) expect(Number(partition)).toBe(partitionForKey(key!, 3))
    })

    it('survives a broker restart mid-run: nothing lost, duplicates only of uncommitted messages', async () => {
      // Its own bus, with a logger that keeps the warnings: a failed commit names its partition and offset.
      const logs: { msg?: string; partition?: number; offset?: string }[] = []
      const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) })
      const restartBus = new KafkaBus({ brokers, clientId: prefix, defaultPartitions: 2, logger })
      const topic = name('restart')
      await restartBus.ensureTopics([{ name: topic, partitions: 2 }])
      const keys = ['a', 'b', 'c', 'd']
      const before = messagesFor(keys, 25, 'before')
      const after = messagesFor(keys, 25, 'after', 25)
      const handled: ReceivedMessage[] = []
      const inbox = new Inbox()
      const subscription = await restartBus.subscribe({
        topic,
        group: name('restart-group'),
        handler: async (message) => {
          // Paced, so that the restart hits the subscription while it is working through `before`.
          if (message.value.includes('"before"')) await new Promise((resolve) => setTimeout(resolve, 25))
          handled.push(message)
          inbox.push(message)
        },
      })
      let ended = false
      const done = subscription.done.finally(() => {
        ended = true
      })
      await restartBus.publish(topic, before)
      await inbox.count(10)

      await run(path.join(ROOT, 'scripts/services.sh'), ['restart', 'kafka'], { cwd: ROOT, timeout: 300_000 })
      const handledDuringRestart = new Set(inbox.values()).size

      // Publishing right after the restart exercises the producer's reconnection (it retries with backoff).
      await restartBus.publish(topic, after)
      const expected = new Set([...before, ...after].map((message) => message.value))
      await inbox.until(() => new Set(inbox.values()).size >= expected.size)
      expect(new Set(inbox.values())).toEqual(expected)
      expect(ended).toBe(false)

      const deliveries = new Map<string, ReceivedMessage[]>()
      for (const message of handled) deliveries.set(message.value, [...(deliveries.get(message.value) ?? []), message])
      const duplicated = [...deliveries.values()].filter((copies) => copies.length > 1).map((copies) => copies[0]!)
      const failedCommits = new Set(
        logs.filter((entry) => entry.msg?.includes('commit failed') === true).map((entry) => `${entry.partition}@${entry.offset}`),
      )
      console.info(
        `broker restart: ${handledDuringRestart} messages handled when the broker was back, ${handled.length} deliveries ` +
          `of ${expected.size} messages, ${duplicated.length} redelivered, ${failedCommits.size} failed commits; warnings:\n` +
          logs.map((entry) => `  ${JSON.stringify(entry)}`).join('\n'),
      )
      for (const message of duplicated) expect(failedCommits).toContain(`${message.partition}@${message.offset}`)
      for (const key of keys) {
        const indexes = handled.filter((message) => message.key === key).map((message) => (JSON.parse(message.value) as { index: number }).index)
        const firsts = indexes.filter((index, position) => indexes.indexOf(index) === position)
        expect(firsts, `first deliveries of key ${key} in order`).toEqual([...firsts].sort((a, b) => a - b))
      }

      // Still alive: a message published now is handled by the same subscription.
      await restartBus.publish(topic, [{ key: 'a', value: 'after-check' }])
      await inbox.until(() => inbox.values().includes('after-check'))
      await restartBus.close()
      await done
    }, 300_000)
  })
}
