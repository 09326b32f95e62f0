/**
 * `npm run bench:watchlist`: alerts matched per second against BENCH_CONES (default 100,000) watchlist cones,
 * one JSON line per path:
 * - `memory`: the cones loaded from the catalog (SQLite temp file) into a ConeMatcher, then BENCH_ALERTS
 *   (default 200,000) alert positions matched — what an alert process keeps and refreshes; load and build timed too.
 * - `sql`: `ObjectLedger.matchWatchlists` per alert through the sky key index (BENCH_SQL_ALERTS, default 5,000).
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

const CONES = Number(process.env['BENCH_CONES'] ?? 100_000)
const ALERTS = Number(process.env['BENCH_ALERTS'] ?? 200_000)
const SQL_ALERTS = Number(process.env['BENCH_SQL_ALERTS'] ?? 5000)

const random = mulberry32(5)
const anywhere = (): [number, number] => [random() * 360, (Math.asin(random() * 2 - 1) * 180) / Math.PI]
const field = (): [number, number] => [150 + random(), 2 + random()]

const cones: NewWatchlistCone[] = Array.from({ length: CONES }, (_, i) => {
  const [ra, dec] = i % 10 === 0 ? field() : anywhere()
  return { name: `c${i}`, ra, dec, radiusArcsec: 1 + random() * 9 }
})
// A third of the alerts in the dense field, and 1 in 20 right on a cone (a hit).
const alerts: [number, number][] = Array.from({ length: Math.max(ALERTS, SQL_ALERTS) }, (_, i) => {
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
} finally {
  await rm(dir, { recursive: true, force: true })
}
