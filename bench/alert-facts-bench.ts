/**
 * Ad-hoc: events per second of the alert stage's facts read (AlertFactsReader.read) for 500-event batches on a SQLite
 * catalog, with a subscription whose filter needs the detections and the objects' counts (`minSnr`, `minDetections`).
 * Two paths over the same rows, alternated BENCH_ROUNDS (default 3) times:
 * - `batched`: the ledger as it is, one `detectionsOfEvents` and one `objects` per batch;
 * - `per-id`: the same ledger behind a wrapper that reads one id per call, in parallel: what the reader did before
 *   the batch reads (one `detectionsOfEvents` and one `objects` per batch).
 * BENCH_EVENTS (default 10,000) events of BENCH_DETECTIONS (default 3) detections each, each detection the latest
 * of an object with one earlier detection (recorded first, without an event): the usual case, no history read.
 * Run: `tsc -p tsconfig.bench.json && node .bench-build/bench/alert-facts-bench.js`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { openCatalog } from '../src/adapters/open-backends.js'
import type { SqlCatalog } from '../src/adapters/sql/sql-catalog.js'
import { objectLedgerDeps } from '../src/analysis/association/ledger-deps.js'
import { mulberry32 } from '../src/analysis/sensor-noise.js'
import type { DetectionInput, ObjectLedger } from '../src/core/ports/object-ledger.js'
import type { SubscriptionRecord } from '../src/core/ports/subscriptions.js'
import type { ImageEventRecord, ImageRecord } from '../src/core/types.js'
import { AlertFactsReader } from '../src/stages/alert/alert-facts.js'

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 10_000)
const DETECTIONS = Number(process.env['BENCH_DETECTIONS'] ?? 3)
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3)
/** The alert stage's most events per coalesced batch (MAX_COALESCED in alert-stage.ts). */
const BATCH = 500

const IMAGE: ImageRecord = {
  imageId: 0,
  imageFilename: 'bench.fits',
  imageObjectKey: 'image/bench/bench.fits',
  stream: 'bench',
  imageNum: 0,
  contentSha256: null,
  byteSize: null,
  width: null,
  height: null,
  format: null,
  status: 'analyzed',
  errorCode: null,
  errorMessage: null,
  receivedAt: new Date(0),
  analyzedAt: null,
  previousImageId: null,
  l2Norm: null,
  changedFraction: null,
  maxAbsDifference: null,
  observation: null,
}

/** The old access pattern over the new port: one id per call, all of a batch's calls at once. */
function perId(ledger: ObjectLedger): ObjectLedger {
  const oneByOne: Partial<ObjectLedger> = {
    detectionsOfEvents: async (ids) =>
      new Map(await Promise.all(ids.map(async (id) => [id, (await ledger.detectionsOfEvents([id])).get(id)!] as const))),
    objects: async (ids) => new Map((await Promise.all(ids.map((id) => ledger.objects([id])))).flatMap((map) => [...map])),
  }
  // The adapter keeps private fields: every other method is called on it, not on the proxy.
  return new Proxy(ledger, {
    get: (target, key) => {
      const own = oneByOne[key as keyof ObjectLedger]
      if (own !== undefined) return own
      const value = Reflect.get(target, key) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'imgpipe-facts-bench-'))
const catalog = (await openCatalog({ kind: 'sqlite', path: path.join(dir, 'bench.db') })) as SqlCatalog
try {
  await catalog.migrate()
  const ledger = catalog.objectLedger(objectLedgerDeps)
  const random = mulberry32(7)
  const positions = Array.from(
    { length: EVENTS * DETECTIONS },
    () => [random() * 360, Math.asin(2 * random() - 1) * (180 / Math.PI)] as const,
  )
  const events: { event: ImageEventRecord; image: ImageRecord }[] = []
  const now = new Date()
  const detection = ([ra, dec]: readonly [number, number], mjd: number): DetectionInput => ({
    imageId: null,
    stream: 'bench',
    ra,
    dec,
    mjd,
    filter: 'r',
    psfFlux: 1000,
    psfFluxErr: 50,
    snr: 20,
    realBogus: 0.9,
    kind: 'new_source',
    x: 0,
    y: 0,
  })
  for (let at = 0; at < positions.length; at += BATCH * DETECTIONS) {
    await ledger.associate(positions.slice(at, at + BATCH * DETECTIONS).map((position) => detection(position, 60_000)))
  }
  for (let at = 0; at < EVENTS; at += BATCH) {
    const batch: DetectionInput[] = []
    for (let i = at; i < Math.min(at + BATCH, EVENTS); i++) {
      for (let d = 0; d < DETECTIONS; d++) {
        batch.push({ ...detection(positions[i * DETECTIONS + d]!, 61_000 + i / 1e4), imageId: i + 1, imageEventId: i + 1 })
      }
      events.push({
        event: {
          imageEventId: i + 1,
          imageId: i + 1,
          differenceImageObjectKey: 'd',
          eventType: 'new_source',
          detectedAt: now,
          analyzer: null,
          analyzerVersion: null,
        },
        image: { ...IMAGE, imageId: i + 1 },
      })
    }
    await ledger.associate(batch)
  }
  const subscription: SubscriptionRecord = {
    subscriptionId: 1,
    subscriberId: 1,
    name: 'bench',
    channel: 'kafka-topic',
    target: 'bench',
    secret: null,
    filter: { minSnr: 5, minDetections: 1 },
    enabled: true,
    createdAt: now,
    updatedAt: now,
  }
  const subscriptions = { listSubscriptions: async () => [subscription] }
  const measure = async (name: string, objects: ObjectLedger): Promise<Record<string, unknown>> => {
    const reader = new AlertFactsReader({ objects, subscriptions })
    let seen = 0
    const t0 = performance.now()
    for (let at = 0; at < events.length; at += BATCH) {
      const facts = await reader.read(events.slice(at, at + BATCH))
      seen += facts.filter((fact) => fact.detections?.some((detection) => (detection.priorDetections ?? 0) >= 1)).length
    }
    const seconds = (performance.now() - t0) / 1000
    return {
      bench: 'alert-facts',
      path: name,
      events: EVENTS,
      batch: BATCH,
      withEarlier: seen,
      seconds: Math.round(seconds * 1000) / 1000,
      eventsPerSecond: Math.round(EVENTS / seconds),
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    console.log(JSON.stringify({ round, ...(await measure('per-id', perId(ledger))) }))
    console.log(JSON.stringify({ round, ...(await measure('batched', ledger)) }))
  }
  console.log(JSON.stringify({ loadavg: os.loadavg().map((value) => Math.round(value * 100) / 100) }))
} finally {
  await catalog.close()
  await rm(dir, { recursive: true, force: true })
}
