/**
 * `imgpipe alerts tail` against the real Kafka and schema registry: Avro packets (Confluent wire format, writer
 * schema from the registry) and imgpipe's JSON messages on one topic, each printed; a message that is neither is
 * one line on stderr and exit 3; without `--from-beginning` only what is published after the start is shown.
 */
import { Admin, ProduceAcks, Producer } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kafkaClientConnection } from '../../../src/adapters/kafka/kafka-connection.js'
import { AlertCodec } from '../../../src/alerts/avro/alert-codec.js'
import type { AlertPacket } from '../../../src/alerts/avro/alert-packet.js'
import { SchemaRegistryClient } from '../../../src/alerts/avro/schema-registry-client.js'
import { formatPercent } from '../../../src/core/alert-text.js'
import { BIG_ID, MAX_LONG, samplePacket } from '../../alerts/alert-fixtures.js'
import { deleteKafkaNames, kafkaTestBrokers } from '../../support/bus-backends.js'
import { cleanEnv, collect, runCli, spawnCli } from '../../support/cli.js'
import { serviceUrl, TEST_ENV, uniqueName } from '../../support/integration.js'

const brokers = kafkaTestBrokers()
const registryUrl = serviceUrl(TEST_ENV.schemaRegistryUrl, 'schema registry')

const jsonMessage = {
  schema: 'imgpipe.alert/1',
  deliveryId: 'd-1',
  subscription: 'night-shift',
  alerts: [
    {
      alertNum: 7,
      imageEventId: 12,
      eventType: 'changed',
      stream: 'cam',
      imageNum: 44,
      imageId: 90,
      imageFilename: 'image-44.jpg',
      previousImageId: 89,
      changedFraction: 0.0302,
      l2Norm: 1234.5,
      maxAbsDifference: 200,
      detectedAt: '2026-12-07T18:00:00.000Z',
      createdAt: '2026-12-07T18:00:01.000Z',
      links: {},
    },
  ],
}

describe.runIf(brokers !== null && registryUrl !== null)('imgpipe alerts tail', () => {
  const prefix = uniqueName('imgpipe-test-tail-')
  const topic = `${prefix}.alerts`
  const subject = `${prefix}-value`
  const registry = new SchemaRegistryClient({ url: registryUrl ?? 'http://unused.invalid' })
  const env = cleanEnv({
    IMGPIPE_BROKER_URL: `kafka://${(brokers ?? []).join(',')}`,
    IMGPIPE_SCHEMA_REGISTRY_URL: registryUrl ?? undefined,
  })
  let codec: AlertCodec
  let schemaId: number
  let producer: Producer

  async function send(values: Buffer[]): Promise<void> {
    await producer.send({ messages: values.map((value) => ({ topic, key: Buffer.from('k'), value })) })
  }

  function packet(alertId: bigint): AlertPacket {
    return { ...samplePacket(2), alertId }
  }

  beforeAll(async () => {
    const admin = new Admin({ ...kafkaClientConnection({ brokers: brokers! }), clientId: prefix })
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    } finally {
      await admin.close()
    }
    codec = await AlertCodec.load('1.0')
    schemaId = await registry.register(subject, codec.schemaText)
    producer = new Producer({ ...kafkaClientConnection({ brokers: brokers! }), clientId: prefix, acks: ProduceAcks.ALL })
    await send([
      codec.encodeFramed(schemaId, packet(MAX_LONG)),
      Buffer.from(JSON.stringify(jsonMessage)),
      Buffer.from('not an alert'),
      codec.encodeFramed(schemaId, packet(BIG_ID)),
    ])
  }, 60_000)

  afterAll(async () => {
    await producer?.close()
    await deleteKafkaNames(brokers!, prefix)
    await registry.deleteSubject(subject, { permanent: true }).catch(() => undefined)
  })

  it('prints every alert from the beginning as JSON, 64-bit ids exact, a bad message as one line and exit 3', async () => {
    const result = await runCli(['alerts', 'tail', topic, '--from-beginning', '--count', '4', '--json'], env, { timeoutMs: 60_000 })
    expect(result.code, result.stderr).toBe(3)
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines.map((line) => line['format'])).toEqual(['avro', 'json', 'avro'])
    expect(lines.map((line) => line['offset'])).toEqual(['0', '1', '3'])
    const first = lines[0]!['alert'] as Record<string, unknown>
    expect(lines[0]!['schemaId']).toBe(schemaId)
    expect(first['alertId']).toBe(String(MAX_LONG))
    expect((first['diaSource'] as Record<string, unknown>)['diaSourceId']).toBe(String(samplePacket(2).diaSource.diaSourceId))
    expect(first['cutoutScience']).toBe(samplePacket(2).cutoutScience!.length)
    expect((lines[2]!['alert'] as Record<string, unknown>)['alertId']).toBe(String(BIG_ID))
    expect(lines[1]!['message']).toMatchObject({ subscription: 'night-shift', alerts: [{ alertNum: 7, stream: 'cam' }] })
    const errors = result.stderr.trim().split('\n')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(
      new RegExp(`^imgpipe: ${topic.replace(/\./g, '\\.')} partition 0 offset 2: .*not an alert: 12 bytes, first byte 0x6e`),
    )
  }, 90_000)

  it('prints one line a person reads per alert', async () => {
    const result = await runCli(['alerts', 'tail', topic, '--from-beginning', '--count', '2'], env, { timeoutMs: 60_000 })
    expect(result.code, result.stderr).toBe(0)
    const [avroLine, jsonLine] = result.stdout.trim().split('\n')
    const source = samplePacket(2).diaSource
    expect(avroLine).toContain(`alert ${MAX_LONG}  stream imgpipe-test.α-stream`)
    expect(source.dec).toBeLessThan(0)
    expect(avroLine).toContain(`RA ${source.ra.toFixed(6)} Dec ${source.dec.toFixed(6)}  ${source.band} flux`)
    expect(avroLine).toContain('2 earlier')
    // The percent as every other view of an alert writes it (core/alert-text).
    expect(jsonLine).toMatch(
      new RegExp(`alert 7 {2}stream cam {2}changed {2}image 44 {2}changed ${formatPercent(0.0302).replace('.', '\\.')} {2}event 12$`),
    )
  }, 90_000)

  it('shows only what is published after it started, unless told --from-beginning', async () => {
    const child = spawnCli(['alerts', 'tail', topic, '--count', '1', '--json'], env)
    const done = collect(child, 60_000)
    // The tail joins its group at some moment: publish until it has printed one (each a new alert id).
    let next = 1000n
    let exited = false
    void done.then(() => (exited = true))
    while (!exited) {
      await send([codec.encodeFramed(schemaId, packet(next++))])
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    const result = await done
    expect(result.code, result.stderr).toBe(0)
    const alert = (JSON.parse(result.stdout) as { alert: { alertId: string } }).alert
    expect(BigInt(alert.alertId)).toBeGreaterThanOrEqual(1000n)
  }, 90_000)

  it('names a missing topic in one line', async () => {
    const result = await runCli(['alerts', 'tail', `${prefix}.missing`], env, { timeoutMs: 60_000 })
    expect(result.code).not.toBe(0)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain(`Kafka topic ${prefix}.missing does not exist`)
  }, 90_000)
})

describe('imgpipe alerts tail without Kafka', () => {
  it('says the in-process bus has no topics to read, exit 2', async () => {
    const result = await runCli(['alerts', 'tail', 'anything'], cleanEnv({ IMGPIPE_BROKER_URL: 'memory:' }))
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/alerts tail reads a Kafka topic: set IMGPIPE_BROKER_URL/)
  })
})
