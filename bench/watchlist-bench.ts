/**
 * `npm run bench:watchlist`: alerts matched per second against BENCH_CONES (default 100,000) watchlist cones,
 * one JSON line per path:
 * - `memory`: the cones loaded from the catalog (SQLite temp file) into a ConeMatcher, then BENCH_ALERTS
 *   (default 200,000) alert positions matched — what an alert process keeps and refreshes; load and build timed too.
 * - `sql`: `ObjectLedger.matchWatchlists` per alert through the sky key index (BENCH_SQL_ALERTS, default 5,000).
 * - `stage-filter`: the alert stage's filter path at the same cones: AlertFactsReader (the matcher it builds and keeps)
 *   then matchesFilter for a watchlist subscription, over BENCH_STAGE_ALERTS (default 100,000) events of one detection
 *   each, in batches of 500 (the stage's coalesced batch). The events' detections come from a map (the SQL read per
 *   event is what a real run adds); the first batch includes loading the cones and building the matcher.
 * Cones: radii 1–10″ over the whole sky, plus a dense field (a tenth of them in 1 square degree); a third of the
 * alerts fall in that field, the rest anywhere, so both hits and misses are measured.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { openCatalog } from '../src/adapters/open-backends.js'
import type { SqlCatalog } from '../src/adapters/sql/sql-catalog.js'
import { objectLedgerDeps } from '../src/analysis/association/ledger-deps.js'
import { ConeMatcher } from '../src/analysis/sky-index/cone-matcher.js'
import type { NewWatchlistCone } from '../src/core/ports/object-ledger.js'
import { mulberry32 } from '../src/analysis/sensor-noise.js'
import { createMemoryObjectLedger } from '../src/adapters/memory/memory-object-ledger.js'
import type { DiaSourceRecord } from '../src/core/ports/object-ledger.js'
import type { SubscriptionRecord } from '../src/core/ports/subscriptions.js'
import type { ImageEventRecord, ImageRecord } from '../src/core/types.js'
import { AlertFactsReader } from '../src/stages/alert/alert-facts.js'
import { matchesFilter } from '../src/stages/alert/alert-filter.js'

/** The image of every bench event (only its stream and changed fraction are read). */
const BENCH_IMAGE: ImageRecord = {
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

const CONES = Number(process.env['BENCH_CONES'] ?? 100_000)
const ALERTS = Number(process.env['BENCH_ALERTS'] ?? 200_000)
const SQL_ALERTS = Number(process.env['BENCH_SQL_ALERTS'] ?? 5000)
const STAGE_ALERTS = Number(process.env['BENCH_STAGE_ALERTS'] ?? 100_000)
/** The alert stage's most events per coalesced batch (MAX_COALESCED in alert-stage.ts). */
const STAGE_BATCH = 500

const random = mulberry32(5)
const anywhere = (): [number, number] => [random() * 360, (Math.asin(random() * 2 - 1) * 180) / Math.PI]
const field = (): [number, number] => [150 + random(), 2 + random()]

const cones: NewWatchlistCone[] = Array.from({ length: CONES }, (_, i) => {
  const [ra, dec] = i % 10 === 0 ? field() : anywhere()
  return { name: `c${i}`, ra, dec, radiusArcsec: 1 + random() * 9 }
})
// A third of the alerts in the dense field, and 1 in 20 right on a cone (a hit).
const alerts: [number, number][] = Array.from({ length: Math.max(ALERTS, SQL_ALERTS, STAGE_ALERTS) }, (_, i) => {
  if (i % 20 === 0) {
    const cone = cones[Math.floor(random() * cones.length)]!
    return [cone.ra, cone.dec]
  }
  return i % 3 === 0 ? field() : anywhere()
})

const dir = await mkdtemp(path.join(os.tmpdir(), 'imgpipe-watchlist-bench-'))
try {
  const catalog = (await openCatalog({ kind: 'sqlite', path: path.join(dir, 'bench.db') })) as SqlCatalog
  try {
    await catalog.migrate()
    const ledger = catalog.objectLedger(objectLedgerDeps)
    await ledger.addWatchlist('bench', cones)

    let t0 = performance.now()
    const loaded = await ledger.watchlistCones()
    const loadSeconds = (performance.now() - t0) / 1000
    t0 = performance.now()
    const matcher = new ConeMatcher(loaded)
    const buildSeconds = (performance.now() - t0) / 1000
    t0 = performance.now()
    let hits = 0
    for (let i = 0; i < ALERTS; i++) hits += matcher.match(alerts[i]![0], alerts[i]![1]).length
    const matchSeconds = (performance.now() - t0) / 1000
    console.log(
      JSON.stringify({
        bench: 'watchlist',
        path: 'memory',
        cones: CONES,
        alerts: ALERTS,
        hits,
        loadSeconds: Math.round(loadSeconds * 1000) / 1000,
        buildSeconds: Math.round(buildSeconds * 1000) / 1000,
        matchSeconds: Math.round(matchSeconds * 1000) / 1000,
        alertsPerSecond: Math.round(ALERTS / matchSeconds),
        heapMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
        loadavg: os.loadavg().map((value) => Math.round(value * 100) / 100),
      }),
    )

    t0 = performance.now()
    let sqlHits = 0
    for (let i = 0; i < SQL_ALERTS; i++) sqlHits += (await ledger.matchWatchlists(alerts[i]![0], alerts[i]![1])).length
    const sqlSeconds = (performance.now() - t0) / 1000
    console.log(
      JSON.stringify({
        bench: 'watchlist',
        path: 'sql-sqlite',
        cones: CONES,
        alerts: SQL_ALERTS,
        hits: sqlHits,
        seconds: Math.round(sqlSeconds * 1000) / 1000,
        alertsPerSecond: Math.round(SQL_ALERTS / sqlSeconds),
        loadavg: os.loadavg().map((value) => Math.round(value * 100) / 100),
      }),
    )
  } finally {
    await catalog.close()
  }
  console.log(JSON.stringify(await stageFilterBench()))
} finally {
  await rm(dir, { recursive: true, force: true })
}

/** The alert stage's facts and filter over STAGE_ALERTS events, with the cones in a memory ObjectLedger. */
async function stageFilterBench(): Promise<Record<string, unknown>> {
  const objects = createMemoryObjectLedger(objectLedgerDeps)
  await objects.addWatchlist('bench', cones)
  const byEvent = new Map<number, DiaSourceRecord[]>()
  const events: { event: ImageEventRecord; image: ImageRecord }[] = []
  const now = new Date()
  for (let i = 0; i < STAGE_ALERTS; i++) {
    const [ra, dec] = alerts[i]!
    const imageEventId = i + 1
    byEvent.set(
      imageEventId,
      [
        { sourceId: i + 1, objectId: i + 1, imageId: i + 1, imageEventId, stream: 'bench', ra, dec, mjd: 61_000 + i / 1e5, filter: 'r' },
      ].map((source) => ({ ...source, psfFlux: 1000, psfFluxErr: 50, snr: 20, realBogus: 0.9, kind: 'new_source', x: 0, y: 0 })),
    )
    events.push({
      event: {
        imageEventId,
        imageId: i + 1,
        differenceImageObjectKey: 'd',
        eventType: 'new_source',
        detectedAt: now,
        analyzer: null,
        analyzerVersion: null,
      },
      image: { ...BENCH_IMAGE, imageId: i + 1 },
    })
  }
  // The memory adapter scans every source per event; the SQL one reads an index. A map stands in for the index.
  objects.detectionsOfEvents = async (ids) => new Map(ids.map((id) => [id, byEvent.get(id) ?? []]))
  const subscription: SubscriptionRecord = {
    subscriptionId: 1,
    subscriberId: 1,
    name: 'bench',
    channel: 'kafka-topic',
    target: 'bench',
    secret: null,
    filter: { watchlists: ['bench'] },
    enabled: true,
    createdAt: now,
    updatedAt: now,
  }
  const reader = new AlertFactsReader({ objects, subscriptions: { listSubscriptions: async () => [subscription] } })
  let passed = 0
  const t0 = performance.now()
  let firstBatchSeconds = 0
  for (let at = 0; at < events.length; at += STAGE_BATCH) {
    const facts = await reader.read(events.slice(at, at + STAGE_BATCH))
    for (const fact of facts) if (matchesFilter(subscription.filter, fact)) passed += 1
    if (at === 0) firstBatchSeconds = (performance.now() - t0) / 1000
  }
  const seconds = (performance.now() - t0) / 1000
  return {
    bench: 'watchlist',
    path: 'stage-filter',
    cones: CONES,
    alerts: STAGE_ALERTS,
    passed,
    firstBatchSeconds: Math.round(firstBatchSeconds * 1000) / 1000,
    seconds: Math.round(seconds * 1000) / 1000,
    alertsPerSecond: Math.round(STAGE_ALERTS / seconds),
    alertsPerSecondAfterBuild: Math.round((STAGE_ALERTS - STAGE_BATCH) / (seconds - firstBatchSeconds)),
    loadavg: os.loadavg().map((value) => Math.round(value * 100) / 100),
  }
}
