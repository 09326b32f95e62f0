/**
 * KafkaBus against a real broker (IMGPIPE_TEST_KAFKA_URL, from `scripts/services.sh env`): the Bus contract and
 * interoperability with a client we did not write (kcat). The broker-restart test lives in
 * kafka-bus-restart.serial.test.ts: it stops the shared broker, so it runs alone, after the other suites.
 */
import { execFile } from 'node:child_process'
import diagnostics from 'node:diagnostics_channel'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaBus } from '../../../src/adapters/kafka/kafka-bus.js'
import { partitionForKey } from '../../../src/adapters/memory/memory-bus.js'
import { BusUnavailableError } from '../../../src/core/errors.js'
import { silentLogger } from '../../../src/core/logger.js'
import { busContract, Inbox, messagesFor } from '../../contracts/bus-contract.js'
import { deleteKafkaNames, kafkaBackend, kafkaTestBrokers } from '../../support/bus-backends.js'
import { inCi, uniqueName } from '../../support/integration.js'

const run = promisify(execFile)
const brokers = kafkaTestBrokers()

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

    it('gathers the publishes made while a produce is under way into the next one, each caller in its order', async () => {
      const topic = name('gathered')
      await bus.ensureTopics([{ name: topic, partitions: 1 }])
      let produces = 0
      const onRequest = (message: unknown): void => {
        if ((message as { apiKey?: unknown }).apiKey === 0) produces += 1
      }
      diagnostics.subscribe('tracing:plt:kafka:connections:api:start', onRequest)
      try {
        const callers = Array.from({ length: 20 }, (_, caller) => `c${caller}`)
        // Twenty callers at once, two publishes each: serialised one by one this would be 40 produce requests.
        await Promise.all(
          callers.map(async (key) => {
            await bus.publish(topic, [{ key, value: `${key}-0` }])
            await bus.publish(topic, [{ key, value: `${key}-1` }])
          }),
        )
      } finally {
        diagnostics.unsubscribe('tracing:plt:kafka:connections:api:start', onRequest)
      }
      expect(produces).toBeGreaterThan(0)
      expect(produces).toBeLessThanOrEqual(4)
      const inbox = new Inbox()
      const subscription = await bus.subscribe({ topic, group: name('gathered-group'), handler: inbox.handler })
      await inbox.count(40)
      for (let caller = 0; caller < 20; caller += 1) {
        const values = inbox.values().filter((value) => value.startsWith(`c${caller}-`))
        expect(values).toEqual([`c${caller}-0`, `c${caller}-1`])
      }
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
      const { stdout } = await run(
        'kcat',
        ['-C', '-b', brokers.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\t%k\t%s\n'],
        {
          encoding: 'utf8',
        },
      )
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t'))
      expect(lines.map(([, key, value]) => ({ key, value })).sort((a, b) => a.key!.localeCompare(b.key!))).toEqual(
        [...messages].sort((a, b) => a.key.localeCompare(b.key)),
      )
      for (const [partition, key] of lines) expect(Number(partition)).toBe(partitionForKey(key!, 3))
    })
  })
}
