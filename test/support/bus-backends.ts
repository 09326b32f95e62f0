/**
 * Bus backends for the contract suite and other tests: the in-process bus, and Apache Kafka when
 * IMGPIPE_TEST_KAFKA_URL names a broker (`kafka://host:port`, as `scripts/services.sh env` prints it); its
 * secured listeners (SASL, TLS + SASL) when IMGPIPE_TEST_KAFKA_SASL_URL / _TLS_URL name them.
 * Every fixture uses a unique name prefix, and its cleanup deletes the topics and groups it created.
 */
import { Admin } from '@platformatic/kafka'
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js'
import { KafkaBus } from '../../src/adapters/kafka/kafka-bus.js'
import { kafkaClientConnection } from '../../src/adapters/kafka/kafka-connection.js'
import type { KafkaConnectionSettings } from '../../src/adapters/kafka/kafka-connection.js'
import { ENV } from '../../src/config/settings.js'
import { parseBrokerUrl } from './setting-parsers.js'
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

/** TLS and SASL of a secured listener; nothing for the plaintext one. */
export type KafkaSecurity = Omit<KafkaConnectionSettings, 'brokers'>

/**
 * The IMGPIPE_KAFKA_* variables the application would be given for the test broker's secured listeners,
 * from the IMGPIPE_TEST_KAFKA_SASL_* (and, with `withCa`, _CA_FILE) ones. A URL without them is a broken
 * environment, not a reason to skip: that throws.
 */
export function kafkaSecurityEnv(withCa: boolean): Record<string, string> {
  const required = (variable: string): string => {
    const value = process.env[variable]
    if (value === undefined || value === '')
      throw new Error(`${variable} is not set: scripts/services.sh env prints it with the Kafka SASL URL`)
    return value
  }
  return {
    [ENV.kafkaSaslMechanism]: required(TEST_ENV.kafkaSaslMechanism),
    [ENV.kafkaSaslUsername]: required(TEST_ENV.kafkaSaslUsername),
    [ENV.kafkaSaslPassword]: required(TEST_ENV.kafkaSaslPassword),
    ...(withCa ? { [ENV.kafkaCaFile]: required(TEST_ENV.kafkaCaFile) } : {}),
  }
}

/**
 * Brokers, TLS and SASL of the SASL_PLAINTEXT (`sasl`) or SASL_SSL (`tls`) test listener, parsed by the
 * application's own config code; null (with the skip reason logged; an error under CI) without its URL.
 */
export function kafkaSecureTestConnection(listener: 'sasl' | 'tls'): KafkaConnectionSettings | null {
  const variable = listener === 'sasl' ? TEST_ENV.kafkaSaslUrl : TEST_ENV.kafkaTlsUrl
  const url = serviceUrl(variable, listener === 'sasl' ? 'Kafka SASL' : 'Kafka TLS')
  if (url === null) return null
  const config = parseBrokerUrl(url, kafkaSecurityEnv(listener === 'tls'))
  if (config.kind !== 'kafka') throw new Error(`${variable} must name a Kafka listener, got ${url}`)
  return { brokers: config.brokers, tls: config.tls, sasl: config.sasl }
}

/** Deletes the topics and consumer groups whose names start with `prefix`. */
export async function deleteKafkaNames(brokers: string[], prefix: string, security: KafkaSecurity = {}): Promise<void> {
  const admin = new Admin({ ...kafkaClientConnection({ ...security, brokers }), clientId: 'imgpipe-test-cleanup', retries: 2 })
  try {
    const groups = [...(await admin.listGroups()).keys()].filter((group) => group.startsWith(prefix))
    if (groups.length > 0) await admin.deleteGroups({ groups })
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  } finally {
    await admin.close()
  }
}

/** `security` (TLS, SASL) reaches the bus and the cleanup's admin client alike. */
export function kafkaBackend(brokers: string[], security: KafkaSecurity = {}): BusBackend {
  return {
    name: 'kafka',
    async open() {
      const prefix = uniqueName('imgpipe-test-')
      const bus = new KafkaBus({ ...security, brokers, clientId: prefix, defaultPartitions: 1, logger: silentLogger })
      return {
        bus,
        topic: (name) => `${prefix}.${name}`,
        async cleanup() {
          await bus.close()
          await deleteKafkaNames(brokers, prefix, security)
        },
      }
    },
  }
}
