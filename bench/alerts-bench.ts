/**
 * `npm run bench:alerts`: the Avro alert stream of issue 19 on the real Kafka and schema registry
 * (IMGPIPE_TEST_KAFKA_URL, IMGPIPE_TEST_SCHEMA_REGISTRY_URL as `scripts/services.sh env` prints them), one process,
 * one JSON line per phase. An alert is one packet (Rubin: one per DIASource), ~60 KB: the detection, its object,
 * BENCH_PREVIOUS (default 10) earlier detections and three 63×63 float32 FITS stamps (20,160 bytes each, like ZTF's)
 * read from a directory object store (BENCH_STORE=memory: from memory). `os.loadavg()` is printed with each line:
 * the machine is shared, and a load above its 2 cores shows in every figure.
 *
 * What is timed is the kafka-topic channel's Avro path from recorded detections to packets acknowledged by Kafka
 * (acks from all in-sync replicas): the alert's detections, each object and history (the SQLite catalog's object
 * ledger in a temp file), the stamps' derivative rows (its science ledger) and bytes, encoding, framing, producing. Images carry BENCH_PER_IMAGE (default 10) detections, one delivery per image.
 * - `build`: the same packets made (ledger, store, encoding) and not produced, one at a time: the share of Kafka.
 * - `throughput`: BENCH_ALERTS (default 10,000) packets of recorded detections, BENCH_CONCURRENCY (default 4)
 *   deliveries in flight (the delivery worker's limit per subscription, DELIVERIES_PER_SUBSCRIPTION): alerts/s sustained (goal ≥ 1,333, ZTF's peak).
 * - `latency`: BENCH_RATE (default 300, Rubin's average) alerts/s for BENCH_SECONDS (default 10): each image's
 *   detections recorded (associate), then sent; ms from recorded to acknowledged, p50/p99/max (goal p99 ≤ 1 s).
 *   Not included: the delivery worker's wait for a claim (its poll interval when idle).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { FsObjectStore } from '../src/adapters/fs/fs-object-store.js'
import { KafkaBus } from '../src/adapters/kafka/kafka-bus.js'
import { KafkaTopicChannel } from '../src/adapters/kafka-topic/kafka-topic-channel.js'
import { MemoryObjectStore } from '../src/adapters/memory/memory-object-store.js'
import { openCatalog } from '../src/adapters/open-backends.js'
import { AlertCodec } from '../src/alerts/avro/alert-codec.js'
import { AvroAlertPacketSource } from '../src/alerts/avro/avro-alert-packet-source.js'
import { SchemaRegistryClient } from '../src/alerts/avro/schema-registry-client.js'
import { objectLedgerDeps } from '../src/analysis/association/ledger-deps.js'
import { DELIVERIES_PER_SUBSCRIPTION } from '../src/core/delivery-options.js'
import { silentLogger } from '../src/core/logger.js'
import type { AlertItem, Delivery } from '../src/core/ports/delivery-channel.js'
import type { DetectionInput } from '../src/core/ports/object-ledger.js'
import type { NewDerivative } from '../src/core/ports/science-ledger.js'
import { deleteKafkaNames } from '../test/support/bus-backends.js'
import { parseBrokerUrl } from '../test/support/setting-parsers.js'
import { percentiles, round } from './bench-support.js'

const ALERTS = Number(process.env['BENCH_ALERTS'] ?? 10_000)
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? DELIVERIES_PER_SUBSCRIPTION)
const PER_IMAGE = Number(process.env['BENCH_PER_IMAGE'] ?? 10)
const PREVIOUS = Number(process.env['BENCH_PREVIOUS'] ?? 10)
const RATE = Number(process.env['BENCH_RATE'] ?? 300)
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10)
/** Distinct stamp files: every packet reads its own three from the store, drawn from this pool (disk stays small). */
const STAMP_POOL = 256
/** `directory` (default: files, as `IMGPIPE_STORE_URL=file:` keeps them) or `memory` (the store's share, by difference). */
const STORE = process.env['BENCH_STORE'] ?? 'directory'
const STAMP_PIXELS = 63

function required(variable: string): string {
  const value = process.env[variable]
  if (value === undefined || value === '') throw new Error(`${variable} is not set: eval "$(scripts/services.sh env)" first`)
  return value
}

function stamp(seed: number): Buffer {
  const card = (key: string, value: string): string => `${key.padEnd(8)}= ${value.padStart(20)}`.padEnd(80)
  const header = ['SIMPLE', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2']
    .map((key, i) => card(key, ['T', '-32', '2', String(STAMP_PIXELS), String(STAMP_PIXELS)][i]!))
    .join('')
  const data = Buffer.alloc(Math.ceil((STAMP_PIXELS * STAMP_PIXELS * 4) / 2880) * 2880)
  for (let i = 0; i < STAMP_PIXELS * STAMP_PIXELS; i++) data.writeFloatBE(Math.sin(seed + i) * 100, i * 4)
  return Buffer.concat([Buffer.from((header + 'END'.padEnd(80)).padEnd(2880), 'ascii'), data])
}

const brokerOptions = parseBrokerUrl(required('IMGPIPE_TEST_KAFKA_URL'))
if (brokerOptions.kind !== 'kafka') throw new Error('IMGPIPE_TEST_KAFKA_URL must name a Kafka broker')
const registryUrl = required('IMGPIPE_TEST_SCHEMA_REGISTRY_URL')
const prefix = `imgpipe-bench-alerts-${process.pid}`
const dir = await mkdtemp(path.join(os.tmpdir(), 'imgpipe-alerts-bench-'))
const bus = new KafkaBus({ brokers: brokerOptions.brokers, clientId: prefix, defaultPartitions: 3, logger: silentLogger })
const registry = new SchemaRegistryClient({ url: registryUrl })
const subjects: string[] = []
let closeCatalog = async (): Promise<void> => {}

try {
  const store = STORE === 'memory' ? new MemoryObjectStore() : new FsObjectStore(dir, { fsync: false })
  await store.ensureReady()
  for (let i = 0; i < STAMP_POOL; i++) await store.put(`stamps/${i}.fits`, stamp(i))
  const catalog = await openCatalog({ kind: 'sqlite', path: path.join(dir, 'catalog.sqlite') })
  closeCatalog = () => catalog.close()
  await catalog.migrate()
  const objects = catalog.objectLedger(objectLedgerDeps)
  const science = catalog.scienceLedger()
  let nextImage = 1
  let nextEvent = 1

  /** Records one image of PER_IMAGE detections of objects `first`… at epoch `epoch`, with stamp rows; its alert. */
  async function recordImage(first: number, epoch: number): Promise<AlertItem> {
    const imageId = nextImage++
    const imageEventId = nextEvent++
    const batch: DetectionInput[] = []
    for (let k = 0; k < PER_IMAGE; k++) {
      const object = first + k
      batch.push({
        imageId,
        imageEventId,
        stream: 'bench',
        // Objects 20″ apart on a line: each detection re-detects its own object only.
        ra: 10 + object * (20 / 3600),
        dec: -5 + (epoch % 3) * 1e-5,
        mjd: 61_000 + epoch,
        filter: epoch % 2 === 0 ? 'g' : 'r',
        psfFlux: 1000 + epoch,
        psfFluxErr: 25,
        snr: 40,
        realBogus: 0.9,
        kind: 'brightening',
        x: 100 + k,
        y: 200,
        apFlux: 1001,
        apFluxErr: 30,
        fwhm: 3.2,
        elongation: 1.1,
      })
    }
    await objects.associate(batch)
    const rows: NewDerivative[] = []
    for (const [i, source] of ((await objects.detectionsOfEvents([imageEventId])).get(imageEventId) ?? []).entries()) {
      for (const role of ['science', 'reference', 'difference']) {
        const objectKey = `stamps/${(source.sourceId * 3 + role.length) % STAMP_POOL}.fits`
        rows.push({
          imageEventId,
          name: `stamp-${i}-${role}.fits`,
          objectKey,
          contentType: 'image/fits',
          sourceId: source.sourceId,
        })
      }
    }
    await science.recordDerivatives(rows)
    return {
      alertNum: imageEventId,
      imageEventId,
      eventType: 'difference',
      stream: 'bench',
      imageNum: imageId,
      imageId,
      imageFilename: `bench-${imageId}.fits`,
      previousImageId: null,
      changedFraction: null,
      l2Norm: null,
      maxAbsDifference: null,
      detectedAt: new Date().toISOString(),
      createdAt: new Date().toISOString(),
      links: {},
    }
  }

  const codec = await AlertCodec.load()
  const packets = new AvroAlertPacketSource({
    objects,
    derivatives: science,
    store,
    registry,
    codec,
    previousDetections: PREVIOUS,
  })
  const channel = new KafkaTopicChannel(bus, { partitions: 3, packets })
  const delivery = (topic: string, alert: AlertItem): Delivery => ({
    deliveryId: `bench-${alert.alertNum}`,
    subscription: { subscriptionId: 1, name: 'bench', target: `avro:${topic}`, secret: null },
    payload: { schema: 'imgpipe.alert/1', deliveryId: `bench-${alert.alertNum}`, subscription: 'bench', alerts: [alert] },
    attempt: 1,
    signal: AbortSignal.timeout(30_000),
    images: async () => [],
  })

  // The objects' earlier detections: PREVIOUS epochs of every object the timed phases use.
  const images = Math.ceil(ALERTS / PER_IMAGE)
  const latencyImages = Math.ceil((RATE * SECONDS) / PER_IMAGE)
  const objectCount = (images + latencyImages) * PER_IMAGE
  for (let epoch = 0; epoch < PREVIOUS; epoch++) {
    for (let first = 0; first < objectCount; first += PER_IMAGE) await recordImage(first, epoch)
  }

  // Throughput.
  const throughputTopic = `${prefix}.throughput`
  subjects.push(`${throughputTopic}-value`)
  const timed: AlertItem[] = []
  for (let i = 0; i < images; i++) timed.push(await recordImage(i * PER_IMAGE, PREVIOUS))
  await channel.send(delivery(throughputTopic, timed[0]!)) // topic, subject and producer ready; not timed

  // The packets alone (ledger, stamps, encoding), nothing produced: what Kafka adds is the difference.
  const buildStarted = performance.now()
  let built = 0
  for (const alert of timed) built += (await packets.packetsOf(alert, throughputTopic)).length
  const buildSeconds = (performance.now() - buildStarted) / 1000
  console.log(
    JSON.stringify({
      bench: 'alerts',
      store: STORE,
      load: round(os.loadavg()[0]!),
      phase: 'build',
      alerts: built,
      seconds: round(buildSeconds),
      alertsPerSecond: round(built / buildSeconds),
    }),
  )

  let next = 1
  let sent = 0
  let bytes = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < timed.length) {
        const alert = timed[next++]!
        const receipt = await channel.send(delivery(throughputTopic, alert))
        sent += Number(receipt.detail.split(' ')[0])
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const sample = await packets.packetsOf(timed[1]!, throughputTopic)
  bytes = sample.reduce((sum, packet) => sum + packet.value.length, 0) / sample.length
  console.log(
    JSON.stringify({
      bench: 'alerts',
      store: STORE,
      load: round(os.loadavg()[0]!),
      phase: 'throughput',
      alerts: sent,
      seconds: round(seconds),
      alertsPerSecond: round(sent / seconds),
      megabytesPerSecond: round((sent * bytes) / seconds / 1e6),
      packetBytes: Math.round(bytes),
      previous: PREVIOUS,
      perImage: PER_IMAGE,
      concurrency: CONCURRENCY,
      goalAlertsPerSecond: 1333,
    }),
  )

  // Latency at a steady rate: an image of PER_IMAGE detections every PER_IMAGE / RATE seconds.
  const latencyTopic = `${prefix}.latency`
  subjects.push(`${latencyTopic}-value`)
  await channel.send(delivery(latencyTopic, await recordImage(images * PER_IMAGE, PREVIOUS + 1)))
  const latencies: number[] = []
  const inFlight = new Set<Promise<void>>()
  const interval = (PER_IMAGE / RATE) * 1000
  const begin = performance.now()
  for (let i = 1; i < latencyImages; i++) {
    const due = begin + i * interval
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const task = (async () => {
      const alert = await recordImage((images + i) * PER_IMAGE, PREVIOUS + 1)
      const recorded = performance.now()
      await channel.send(delivery(latencyTopic, alert))
      const ms = performance.now() - recorded
      for (let k = 0; k < PER_IMAGE; k++) latencies.push(ms)
    })()
    inFlight.add(task)
    void task.finally(() => inFlight.delete(task))
  }
  await Promise.all(inFlight)
  const achieved = latencies.length / ((performance.now() - begin) / 1000)
  console.log(
    JSON.stringify({
      bench: 'alerts',
      store: STORE,
      load: round(os.loadavg()[0]!),
      phase: 'latency',
      rate: RATE,
      achievedRate: round(achieved),
      recordedToAckedMs: percentiles(latencies),
      goalP99Ms: 1000,
    }),
  )
} finally {
  await closeCatalog()
  await bus.close()
  await deleteKafkaNames(brokerOptions.brokers, prefix).catch(() => undefined)
  for (const subject of subjects) await registry.deleteSubject(subject, { permanent: true }).catch(() => undefined)
  await rm(dir, { recursive: true, force: true })
}
