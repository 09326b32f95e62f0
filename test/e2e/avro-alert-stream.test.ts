/**
 * Issue 19's first "done when", through imgpipe's own path: detections recorded in a SQLite catalog (object ledger),
 * their stamps (object store, the science ledger's derivative rows), the kafka-topic channel with an `avro:` target on the real Kafka, the schema registered in
 * the real registry; a community broker's Python consumer (Debian's `confluent-kafka` and `avro`, the registry over
 * HTTP, see PY_CONSUMER) reads the topic and prints every field as JSON.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { KafkaTopicChannel } from '../../src/adapters/kafka-topic/kafka-topic-channel.js'
import { AlertCodec, alertSchemaPath } from '../../src/alerts/avro/alert-codec.js'
import { AvroAlertPacketSource } from '../../src/alerts/avro/avro-alert-packet-source.js'
import { SchemaRegistryClient } from '../../src/alerts/avro/schema-registry-client.js'
import type { AlertItem, Delivery } from '../../src/core/ports/delivery-channel.js'
import { EPOCHS, recordSky } from '../alerts/alert-stream-fixtures.js'
import { PY_CONSUMER, type ConsumedPacket } from '../alerts/python-avro.js'
import { objectLedgerDeps } from '../../src/analysis/association/ledger-deps.js'
import { kafkaBackend, kafkaTestBrokers } from '../support/bus-backends.js'
import { sqliteFileBackend } from '../support/catalog-backends.js'
import { serviceUrl, TEST_ENV } from '../support/integration.js'
import { hasPythonModule, pythonJson } from '../support/python-oracle.js'

const brokers = kafkaTestBrokers()
const registryUrl = serviceUrl(TEST_ENV.schemaRegistryUrl, 'schema registry')
const ready =
  brokers !== null &&
  registryUrl !== null &&
  hasPythonModule('avro', 'python3-avro') &&
  hasPythonModule('confluent_kafka', 'python3-confluent-kafka')

function delivery(target: string, alert: AlertItem): Delivery {
  return {
    deliveryId: `d-${alert.alertNum}`,
    subscription: { subscriptionId: 1, name: 'avro-stream', target, secret: null },
    payload: { schema: 'imgpipe.alert/1', deliveryId: `d-${alert.alertNum}`, subscription: 'avro-stream', alerts: [alert] },
    attempt: 1,
    signal: AbortSignal.timeout(30_000),
    images: async () => [],
  }
}

interface PyDiaSource {
  diaSourceId: number
  diaObjectId: number
  imageId: number
  midpointMjdTai: number
  ra: number
  dec: number
  psfFlux: number
  isNegative: boolean
  eventType: string
  band: string
}
interface PyPacket {
  alertId: number
  imageId: number
  eventId: number
  stream: string
  diaSource: PyDiaSource
  prvDiaSources: PyDiaSource[] | null
  diaObject: { diaObjectId: number; nDiaSources: number } | null
  cutoutScience: { base64: string } | null
  cutoutTemplate: { base64: string } | null
  cutoutDifference: { base64: string } | null
}

describe.runIf(ready)("a broker's Python consumer reads imgpipe's Avro alert stream", () => {
  const registry = new SchemaRegistryClient({ url: registryUrl ?? 'http://unused.invalid' })
  const subjects: string[] = []
  const cleanups: (() => Promise<void>)[] = []

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup()
    for (const subject of subjects) await registry.deleteSubject(subject, { permanent: true }).catch(() => undefined)
  })

  it(
    'gets one packet per detection: ids, detection, history in order, object and the stored stamps byte for byte',
    { timeout: 120_000 },
    async () => {
      const catalog = await sqliteFileBackend.open()
      cleanups.push(() => catalog.cleanup())
      await catalog.catalog.migrate()
      const sky = await recordSky({ objects: catalog.catalog.objectLedger(objectLedgerDeps), science: catalog.catalog.scienceLedger() })
      const opened = await kafkaBackend(brokers!).open()
      cleanups.push(() => opened.cleanup())
      const topic = opened.topic('avro-stream')
      subjects.push(`${topic}-value`)
      const codec = await AlertCodec.load()
      const packets = new AvroAlertPacketSource({ objects: sky.objects, derivatives: sky.derivatives, store: sky.store, registry, codec })
      const channel = new KafkaTopicChannel(opened.bus, { partitions: 3, packets })

      const receipts: string[] = []
      for (const alert of [...sky.alerts, sky.pixelDiffAlert]) receipts.push((await channel.send(delivery(`avro:${topic}`, alert))).detail)
      expect(receipts).toEqual([
        `1 Avro packet(s) on ${topic}`,
        `1 Avro packet(s) on ${topic}`,
        `1 Avro packet(s) on ${topic}`,
        `2 Avro packet(s) on ${topic}`,
        `0 Avro packet(s) on ${topic}; 1 alert(s) without detections skipped`,
      ])

      const received = await pythonJson<ConsumedPacket[]>(PY_CONSUMER, {
        brokers: brokers!.join(','),
        topic,
        group: `${topic}-python`,
        registry: registryUrl,
        reader: alertSchemaPath('1.0'),
        count: EPOCHS + 1,
      })
      expect(received).toHaveLength(EPOCHS + 1)
      const schemaId = await registry.register(`${topic}-value`, codec.schemaText)
      expect(new Set(received.map((message) => message.schemaId))).toEqual(new Set([schemaId]))

      const detections = (
        await Promise.all(
          sky.alerts.map((alert) =>
            sky.objects.detectionsOfEvents([alert.imageEventId]).then((found) => found.get(alert.imageEventId) ?? []),
          ),
        )
      ).flat()
      expect(detections).toHaveLength(EPOCHS + 1)
      const byAlert = new Map(received.map((message) => [(message.packet as PyPacket).alertId, message]))
      for (const [index, detection] of detections.entries()) {
        const message = byAlert.get(detection.sourceId)
        expect(message, `packet of detection ${detection.sourceId}`).toBeDefined()
        const packet = message!.packet as PyPacket
        const alert = sky.alerts.find((item) => item.imageEventId === detection.imageEventId)!
        expect(message!.key).toBe(String(detection.objectId))
        expect([packet.imageId, packet.eventId, packet.stream]).toEqual([alert.imageId, alert.imageEventId, topic])
        expect(packet.diaSource).toMatchObject({
          diaSourceId: detection.sourceId,
          diaObjectId: detection.objectId,
          imageId: detection.imageId,
          midpointMjdTai: detection.mjd,
          ra: detection.ra,
          dec: detection.dec,
          psfFlux: detection.psfFlux,
          isNegative: detection.psfFlux < 0,
          eventType: detection.kind,
          band: detection.filter,
        })
        const earlier = (await sky.objects.history(detection.objectId)).filter((other) => other.mjd < detection.mjd)
        expect(packet.prvDiaSources?.map((prv) => prv.diaSourceId) ?? [], `history of ${index}`).toEqual(earlier.map((e) => e.sourceId))
        expect(packet.diaObject?.diaObjectId).toBe(detection.objectId)
        for (const [field, role] of [
          ['cutoutScience', 'science'],
          ['cutoutTemplate', 'reference'],
          ['cutoutDifference', 'difference'],
        ] as const) {
          const bytes = Buffer.from(packet[field]!.base64, 'base64')
          expect(bytes.equals(sky.stamp(detection.sourceId, role)), `${field} of ${detection.sourceId}`).toBe(true)
        }
      }
      // The star's four alerts: one key, one partition, offsets in the order sent, each carrying the ones before.
      const star = detections.filter((detection) => detection.objectId === detections[0]!.objectId).map((d) => byAlert.get(d.sourceId)!)
      expect(star).toHaveLength(EPOCHS)
      expect(new Set(star.map((message) => message.partition)).size).toBe(1)
      expect(star.map((message) => message.offset)).toEqual([...star.map((message) => message.offset)].sort((a, b) => a - b))
      expect(star.map((message) => (message.packet as PyPacket).prvDiaSources?.length ?? 0)).toEqual([0, 1, 2, 3])
      expect((star[EPOCHS - 1]!.packet as PyPacket).diaObject?.nDiaSources).toBe(EPOCHS)
    },
  )

  it(
    'a 1.0 reader reads the packets of a producer on schema 1.1 (FORWARD_TRANSITIVE subject), new fields left out',
    { timeout: 120_000 },
    async () => {
      const sky = await recordSky()
      const opened = await kafkaBackend(brokers!).open()
      cleanups.push(() => opened.cleanup())
      const topic = opened.topic('avro-evolution')
      const subject = `${topic}-value`
      subjects.push(subject)
      const v10 = await AlertCodec.load('1.0')
      const v11 = await AlertCodec.load('1.1')
      const first = await registry.register(subject, v10.schemaText)
      await registry.setCompatibility(subject, 'FORWARD_TRANSITIVE')
      const packets = new AvroAlertPacketSource({
        objects: sky.objects,
        derivatives: sky.derivatives,
        store: sky.store,
        registry,
        codec: v11,
      })
      const channel = new KafkaTopicChannel(opened.bus, { partitions: 1, packets })
      await channel.send(delivery(`avro:${topic}`, sky.alerts[1]!))
      const [message] = await pythonJson<ConsumedPacket[]>(PY_CONSUMER, {
        brokers: brokers!.join(','),
        topic,
        group: `${topic}-python`,
        registry: registryUrl,
        reader: alertSchemaPath('1.0'),
        count: 1,
      })
      const newer = await registry.register(subject, v11.schemaText)
      expect(newer).not.toBe(first)
      expect(message!.schemaId).toBe(newer)
      const packet = message!.packet as PyPacket & Record<string, unknown>
      const [detection] = (await sky.objects.detectionsOfEvents([sky.alerts[1]!.imageEventId])).get(sky.alerts[1]!.imageEventId) ?? []
      expect(packet.alertId).toBe(detection!.sourceId)
      expect(packet.prvDiaSources).toHaveLength(1)
      expect('brokerNote' in packet).toBe(false)
      expect('trailLength' in packet.diaSource).toBe(false)
      expect(Buffer.from(packet.cutoutScience!.base64, 'base64').equals(sky.stamp(detection!.sourceId, 'science'))).toBe(true)
    },
  )
})
