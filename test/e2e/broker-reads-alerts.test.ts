/**
 * Issue 19's "done when": a community broker's Python consumer — Apache's `avro` and `confluent-kafka`, as
 * Debian packages them — reads imgpipe's Avro alert packets from a Kafka topic through the schema registry and
 * gets every field, stamps included. Debian's confluent-kafka 1.7 has no usable AvroDeserializer (its
 * schema_registry module needs `requests` and `fastavro`), so the consumer does what that deserializer does:
 * reads the schema id from the Confluent frame, fetches the writer schema from the registry's HTTP API and
 * decodes with `avro` against its own (1.0) reader schema.
 */
import { Admin, ProduceAcks, Producer } from '@platformatic/kafka'
import { afterAll, describe, expect, it } from 'vitest'
import { kafkaClientConnection } from '../../src/adapters/kafka/kafka-connection.js'
import { AlertCodec, alertSchemaPath } from '../../src/alerts/avro/alert-codec.js'
import type { AlertPacket } from '../../src/alerts/avro/alert-packet.js'
import { SchemaRegistryClient } from '../../src/alerts/avro/schema-registry-client.js'
import { samplePacket } from '../alerts/alert-fixtures.js'
import { PY_CONSUMER, toOracleJson, type ConsumedPacket } from '../alerts/python-avro.js'
import { deleteKafkaNames, kafkaTestBrokers } from '../support/bus-backends.js'
import { serviceUrl, TEST_ENV, uniqueName } from '../support/integration.js'
import { hasPythonModule, pythonJson } from '../support/python-oracle.js'

const brokers = kafkaTestBrokers()
const registryUrl = serviceUrl(TEST_ENV.schemaRegistryUrl, 'schema registry')
const ready =
  brokers !== null &&
  registryUrl !== null &&
  hasPythonModule('avro', 'python3-avro') &&
  hasPythonModule('confluent_kafka', 'python3-confluent-kafka')

describe.runIf(ready)("a community broker's Python consumer reads imgpipe's alert topic", () => {
  const prefix = uniqueName('imgpipe-test-alerts-')
  const subject = `${prefix}-value`
  const registry = new SchemaRegistryClient({ url: registryUrl ?? 'http://unused.invalid' })

  afterAll(async () => {
    await deleteKafkaNames(brokers!, prefix)
    await registry.deleteSubject(subject, { permanent: true }).catch(() => undefined)
  })

  it('gets every field of every packet, stamps included, in order per object', async () => {
    const topic = `${prefix}.alerts`
    const admin = new Admin({ ...kafkaClientConnection({ brokers: brokers! }), clientId: prefix })
    try {
      await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 })
    } finally {
      await admin.close()
    }
    const codec = await AlertCodec.load('1.0')
    const schemaId = await registry.register(subject, codec.schemaText)

    // Two objects; one has three alerts, which must arrive in the order sent (same key, same partition).
    const packets: AlertPacket[] = [0, 1, 2, 3].map((n) => {
      const packet = samplePacket(n)
      const objectId = n === 2 ? 77n : 2n ** 60n + 5n
      return {
        ...packet,
        alertId: packet.alertId - BigInt(10 - n),
        diaSource: { ...packet.diaSource, diaObjectId: objectId },
        diaObject: { ...packet.diaObject!, diaObjectId: objectId },
      }
    })
    const producer = new Producer({
      ...kafkaClientConnection({ brokers: brokers! }),
      clientId: prefix,
      acks: ProduceAcks.ALL,
    })
    try {
      for (const packet of packets) {
        await producer.send({
          messages: [
            {
              topic,
              key: Buffer.from(String(packet.diaObject!.diaObjectId)),
              value: codec.encodeFramed(schemaId, packet),
            },
          ],
        })
      }
    } finally {
      await producer.close()
    }

    const received = await pythonJson<ConsumedPacket[]>(PY_CONSUMER, {
      brokers: brokers!.join(','),
      topic,
      group: `${prefix}-python`,
      registry: registryUrl,
      reader: alertSchemaPath('1.0'),
      count: packets.length,
    })
    expect(received).toHaveLength(packets.length)
    expect(new Set(received.map((message) => message.schemaId))).toEqual(new Set([schemaId]))
    const byAlert = new Map(received.map((message) => [String((message.packet as { alertId: string }).alertId), message]))
    for (const packet of packets) {
      const message = byAlert.get(packet.alertId.toString())
      expect(message?.packet).toEqual(toOracleJson(packet))
      expect(message?.key).toBe(String(packet.diaObject!.diaObjectId))
    }
    // Per key: one partition, offsets in the order the alerts were sent.
    const same = packets.filter((packet) => packet.diaObject!.diaObjectId !== 77n).map((p) => byAlert.get(p.alertId.toString())!)
    expect(new Set(same.map((message) => message.partition)).size).toBe(1)
    expect(same.map((message) => message.offset)).toEqual([...same.map((message) => message.offset)].sort((a, b) => a - b))
    const stamp = (received[0]!.packet as { cutoutScience: { base64: string } }).cutoutScience
    expect(Buffer.from(stamp.base64, 'base64').subarray(0, 30).toString('ascii')).toBe('SIMPLE  =                    T')
  })
})
