/**
 * KafkaBus on the test broker's secured listeners (`scripts/services.sh env`): SASL_PLAINTEXT
 * (IMGPIPE_TEST_KAFKA_SASL_URL, SCRAM-SHA-256/512 and PLAIN) and SASL_SSL (IMGPIPE_TEST_KAFKA_TLS_URL, a
 * certificate from the CA in IMGPIPE_TEST_KAFKA_CA_FILE). The Bus contract on each, every mechanism, the
 * config → openBus path, and the failures a misconfigured client must report at once and not retry.
 */
import { lookup } from 'node:dns/promises'
import os from 'node:os'
import { afterAll, describe, expect, it } from 'vitest'
import { KafkaBus } from '../../../src/adapters/kafka/kafka-bus.js'
import type { KafkaBusOptions } from '../../../src/adapters/kafka/kafka-bus.js'
import type { KafkaConnectionSettings } from '../../../src/adapters/kafka/kafka-connection.js'
import { openBus } from '../../../src/adapters/open-backends.js'
import { KAFKA_SASL_MECHANISMS } from '../../../src/adapters/kafka/kafka-options.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { BusUnavailableError } from '../../../src/core/errors.js'
import { silentLogger } from '../../../src/core/logger.js'
import { busContract, Inbox, messagesFor } from '../../contracts/bus-contract.js'
import { deleteKafkaNames, kafkaBackend, kafkaSecureTestConnection, kafkaSecurityEnv } from '../../support/bus-backends.js'
import { TEST_ENV, uniqueName } from '../../support/integration.js'

const sasl = kafkaSecureTestConnection('sasl')
const tls = kafkaSecureTestConnection('tls')

/** Well under the library's own timeouts: a refused login or certificate must not wait for them. */
const QUICKLY_MS = 10_000

if (sasl === null) {
  describe.skip(`KafkaBus over SASL (${TEST_ENV.kafkaSaslUrl} is not set)`, () => {
    it('needs the SASL listener of scripts/services.sh', () => {})
  })
} else {
  busContract(`kafka over SASL_PLAINTEXT (${sasl.sasl?.mechanism})`, kafkaBackend(sasl.brokers, sasl).open)
  saslOnly(sasl)
}

if (tls === null) {
  describe.skip(`KafkaBus over TLS (${TEST_ENV.kafkaTlsUrl} is not set)`, () => {
    it('needs the SASL_SSL listener of scripts/services.sh', () => {})
  })
} else {
  busContract(`kafka over SASL_SSL (${tls.sasl?.mechanism})`, kafkaBackend(tls.brokers, tls).open)
  tlsOnly(tls)
}

interface Failure {
  error: BusUnavailableError
  ms: number
}

/** Runs `operation`, expects a BusUnavailableError, and says how long the failure took. */
async function failure(operation: () => Promise<unknown>): Promise<Failure> {
  const started = Date.now()
  const error = await operation().then(
    () => null,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(BusUnavailableError)
  return { error: error as BusUnavailableError, ms: Date.now() - started }
}

/** A bus with test defaults; closed after the suite. */
function busesFor(prefix: string): (options: Omit<KafkaBusOptions, 'clientId' | 'defaultPartitions' | 'logger'>) => KafkaBus {
  const buses: KafkaBus[] = []
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()))
  })
  return (options) => {
    const bus = new KafkaBus({ ...options, clientId: prefix, defaultPartitions: 1, logger: silentLogger })
    buses.push(bus)
    return bus
  }
}

function saslOnly(listener: KafkaConnectionSettings): void {
  const credentials = listener.sasl!
  describe('KafkaBus on the SASL_PLAINTEXT listener', () => {
    const prefix = uniqueName('imgpipe-test-')
    const name = (suffix: string): string => `${prefix}.${suffix}`
    const bus = busesFor(prefix)

    afterAll(async () => {
      await deleteKafkaNames(listener.brokers, prefix, listener)
    })

    it.each(KAFKA_SASL_MECHANISMS)('logs in with %s, and describes itself with the user but not the password', async (mechanism) => {
      const own = bus({ brokers: listener.brokers, sasl: { ...credentials, mechanism } })
      await own.ping()
      expect(own.description).toBe(`kafka://${listener.brokers.join(',')} (SASL ${mechanism} as ${credentials.username})`)
      expect(own.description).not.toContain(credentials.password)
    })

    it('publishes and consumes in a group with every client (admin, producer, consumer) logged in', async () => {
      const own = bus({ brokers: listener.brokers, sasl: { ...credentials, mechanism: 'SCRAM-SHA-512' } })
      const topic = name('roundtrip')
      await own.publish(topic, messagesFor(['a', 'b'], 3))
      const inbox = new Inbox()
      const subscription = await own.subscribe({ topic, group: name('roundtrip-group'), handler: inbox.handler })
      await inbox.count(6)
      await subscription.close()
    })

    it('reports a wrong password at once as a non-retryable BusUnavailableError naming the variables to check', async () => {
      const wrong = 'not-the-password-4711'
      const own = bus({ brokers: listener.brokers, sasl: { ...credentials, password: wrong } })
      for (const operation of [
        () => own.ping(),
        () => own.publish(name('refused'), messagesFor(['a'], 1)),
        () => own.subscribe({ topic: name('refused'), group: name('refused-group'), handler: async () => {} }),
      ]) {
        const { error, ms } = await failure(operation)
        expect(error.canRetry).toBe(false)
        expect(error.message).toContain('the broker rejected the SASL login')
        expect(error.message).toContain('IMGPIPE_KAFKA_SASL_PASSWORD')
        expect(error.message).not.toContain(wrong)
        expect(error.message).not.toContain(credentials.password)
        expect(error.message).not.toMatch(/[\r\n]/)
        expect(ms).toBeLessThan(QUICKLY_MS)
      }
    })

    it('reports an unknown user like a wrong password', async () => {
      const own = bus({ brokers: listener.brokers, sasl: { ...credentials, username: `nobody-${prefix}` } })
      const { error, ms } = await failure(() => own.ping())
      expect(error.canRetry).toBe(false)
      expect(error.message).toContain('IMGPIPE_KAFKA_SASL_USERNAME')
      expect(ms).toBeLessThan(QUICKLY_MS)
    })

    it('fails clearly when a plaintext client (no SASL) connects to the SASL port', async () => {
      const own = bus({ brokers: listener.brokers })
      const { error, ms } = await failure(() => own.ping())
      // The broker just closes the connection, as it also does while it shuts down: retryable, with the question.
      expect(error.canRetry).toBe(true)
      expect(error.message).toContain(
        'the broker closed the connection: does this listener need TLS (kafkas://) or SASL (IMGPIPE_KAFKA_SASL_*)?',
      )
      expect(ms).toBeLessThan(QUICKLY_MS)
    })

    it('fails at once when a TLS client (kafkas://) connects to the plaintext SASL port', async () => {
      const own = bus({ brokers: listener.brokers, sasl: credentials, tls: {} })
      const { error, ms } = await failure(() => own.ping())
      expect(error.canRetry).toBe(false)
      expect(error.message).toContain('kafkas:// needs a TLS (SSL or SASL_SSL) listener')
      expect(ms).toBeLessThan(QUICKLY_MS)
    })
  })
}

function tlsOnly(listener: KafkaConnectionSettings): void {
  describe('KafkaBus on the SASL_SSL listener', () => {
    const prefix = uniqueName('imgpipe-test-')
    const bus = busesFor(prefix)

    it('connects through loadConfig and openBus, as a stage would, and describes itself as kafkas://', async () => {
      const env = { ...kafkaSecurityEnv(true), IMGPIPE_BROKER_URL: process.env[TEST_ENV.kafkaTlsUrl] }
      const config = loadConfig(env)
      const opened = await openBus(config.broker, 1, silentLogger)
      try {
        await opened.ping()
        expect(opened.description).toMatch(/^kafkas:\/\/\S+ \(SASL SCRAM-SHA-\d+ as \S+\)$/)
      } finally {
        await opened.close()
      }
    })

    it('logs in with every mechanism over TLS', async () => {
      for (const mechanism of KAFKA_SASL_MECHANISMS) {
        await bus({ ...listener, sasl: { ...listener.sasl!, mechanism } }).ping()
      }
    })

    it('rejects the test certificate without the CA file: non-retryable, naming IMGPIPE_KAFKA_CA_FILE', async () => {
      const own = bus({ ...listener, tls: {} })
      const { error, ms } = await failure(() => own.ping())
      expect(error.canRetry).toBe(false)
      expect(error.message).toMatch(/TLS certificate was not accepted \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/)
      expect(error.message).toContain('IMGPIPE_KAFKA_CA_FILE')
      expect(ms).toBeLessThan(QUICKLY_MS)
    })

    it('checks that the certificate names the broker: another name for the same address is refused', async (context) => {
      // The test certificate names 127.0.0.1 and localhost; the machine's own name often resolves to 127.0.0.1 too.
      const other = os.hostname()
      const address = await lookup(other).then(
        (found) => found.address,
        () => null,
      )
      if (other === 'localhost' || address !== '127.0.0.1')
        context.skip(`no other name than localhost resolves to 127.0.0.1 here (${other} → ${address})`)
      const port = listener.brokers[0]!.split(':').pop()
      const own = bus({ ...listener, brokers: [`${other}:${port}`] })
      const { error, ms } = await failure(() => own.ping())
      expect(error.canRetry).toBe(false)
      expect(error.message).toContain('TLS certificate is not for the host connected to (ERR_TLS_CERT_ALTNAME_INVALID)')
      expect(ms).toBeLessThan(QUICKLY_MS)
    })

    it('reports a wrong password over TLS as non-retryable too', async () => {
      const own = bus({ ...listener, sasl: { ...listener.sasl!, password: 'wrong-over-tls' } })
      const { error, ms } = await failure(() => own.ping())
      expect(error.canRetry).toBe(false)
      expect(error.message).toContain('the broker rejected the SASL login')
      expect(ms).toBeLessThan(QUICKLY_MS)
    })

    it('fails clearly when a client without TLS connects to the TLS port', async () => {
      const own = bus({ brokers: listener.brokers, sasl: listener.sasl })
      const { error, ms } = await failure(() => own.ping())
      expect(error.message).toContain('does this listener need TLS (kafkas://)?')
      expect(ms).toBeLessThan(QUICKLY_MS)
    })
  })
}
