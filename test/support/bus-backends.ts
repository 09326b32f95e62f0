/**
 * Bus backends for the contract suite and other tests: the in-process bus, and Apache Kafka when
 * IMGPIPE_TEST_KAFKA_URL names a broker (`kafka://host:port`, as `scripts/services.sh env` prints it).
 * Every fixture uses a unique name prefix, and its cleanup deletes the topics and groups it created.
 */
import { Admin } from '@platformatic/kafka'
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js'
import { KafkaBus } from '../../src/adapters/kafka/kafka-bus.js'
import { parseBrokerUrl } from '../../src/config.js'
import { silentLogger } from '../../src/core/logger.js'
import type { BusFixture } from '../contracts/bus-contract.js'
import { serviceUrl, TEST_ENV, uniqueName } from './integration.js'

export interface BusBackend {
  name: string
  open(): Promise<BusFixture>
}

export const memoryBackend: BusBackend = {
  name: 'memory',
  async open() {
    const bus = new MemoryBus()
    const prefix = uniqueName('t')
    return {
      bus,
      topic: (name) => `${prefix}.${name}`,
      cleanup: () => bus.close(),
    }
  },
}

/** Broker addresses from IMGPIPE_TEST_KAFKA_URL, or null (with the skip reason logged; an error under CI). */
export function kafkaTestBrokers(): string[] | null {
  const url = serviceUrl(TEST_ENV.kafkaUrl, 'Kafka')
  if (url === null) return null
  const config = parseBrokerUrl(url.includes('://') ? url : `kafka://${url}`)
  if (config.kind !== 'kafka') throw new Error(`${TEST_ENV.kafkaUrl} must name a Kafka broker, got ${url}`)
  return config.brokers
}

/** Deletes the topics and consumer groups whose names start with `prefix`. */
export async function deleteKafkaNames(brokers: string[], prefix: string): Promise<void> {
  const admin = new Admin({ clientId: 'imgpipe-test-cleanup', bootstrapBrokers: brokers, retries: 2 })
  try {
    const groups = [...(await admin.listGroups()).keys()].filter((group) => group.startsWith(prefix))
    if (groups.length > 0) await admin.deleteGroups({ groups })
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  } finally {
    await admin.close()
  }
}

export function kafkaBackend(brokers: string[]): BusBackend {
  return {
    name: 'kafka',
    async open() {
      const prefix = uniqueName('imgpipe-test-')
      const bus = new KafkaBus({ brokers, clientId: prefix, defaultPartitions: 1, logger: silentLogger })
      return {
        bus,
        topic: (name) => `${prefix}.${name}`,
        async cleanup() {
          await bus.close()
          await deleteKafkaNames(brokers, prefix)
        },
      }
    },
  }
}
