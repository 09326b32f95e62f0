/**
 * `npm run bench:association`: detections associated per second against a catalogue of BENCH_OBJECTS (default
 * 1,000,000) objects, on SQLite (a temp file) and, when BENCH_DATABASE_URL names a scratch PostgreSQL or MySQL
 * database (+ IMGPIPE_DATABASE_PASSWORD), there too — that database is RESET first. One JSON line per database.
 *
 * The objects fill a 10° × 10° patch (10,000 per square degree at the default, about one per 36″). Each batch is
 * one "image": BENCH_BATCH (default 1,000) detections inside a 0.5° square, 80 % of them re-detections of stored
 * objects (0.2″ of scatter) and 20 % new sources; BENCH_BATCHES (default 20) batches. The objects are seeded by
 * bulk inserts, not timed; the timed part is `ObjectLedger.associate`, one transaction per batch.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import pg from 'pg'
import { openCatalog } from '../src/adapters/open-backends.js'
import type { SqlCatalog } from '../src/adapters/sql/sql-catalog.js'
import { objectLedgerDeps } from '../src/analysis/association/ledger-deps.js'
import { skyKey } from '../src/analysis/sky-index/sky-zones.js'
import { parseDatabaseUrl } from '../test/support/setting-parsers.js'
import type { CatalogOptions } from '../src/adapters/backend-options.js'
import type { DetectionInput } from '../src/core/ports/object-ledger.js'
import { percentiles } from './bench-support.js'
import { mulberry32 } from '../src/analysis/sensor-noise.js'

const OBJECTS = Number(process.env['BENCH_OBJECTS'] ?? 1_000_000)
const BATCH = Number(process.env['BENCH_BATCH'] ?? 1000)
const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 20)
const PATCH = { ra: 150, dec: 0, size: 10 }
const ARCSEC = 1 / 3600

/** The seeded objects' positions, regenerated from the seed instead of kept (8 bytes × 2 × 1M is fine too). */
function objectPositions(): Float64Array {
  const random = mulberry32(1)
  const positions = new Float64Array(OBJECTS * 2)
  for (let i = 0; i < OBJECTS; i++) {
    positions[2 * i] = PATCH.ra + random() * PATCH.size
    positions[2 * i + 1] = PATCH.dec + random() * PATCH.size
  }
  return positions
}

function batches(positions: Float64Array): DetectionInput[][] {
  const random = mulberry32(2)
  // Objects by 0.5° cell, so an image re-detects the objects inside it.
  const cells = new Map<number, number[]>()
  const cellOf = (ra: number, dec: number): number => Math.floor((ra - PATCH.ra) * 2) * 100 + Math.floor((dec - PATCH.dec) * 2)
  for (let i = 0; i < OBJECTS; i++) {
    const key = cellOf(positions[2 * i]!, positions[2 * i + 1]!)
    const list = cells.get(key)
    if (list === undefined) cells.set(key, [i])
    else list.push(i)
  }
  return Array.from({ length: BATCHES }, (_, b) => {
    const ra0 = PATCH.ra + 0.5 * Math.floor(random() * (PATCH.size * 2))
    const dec0 = PATCH.dec + 0.5 * Math.floor(random() * (PATCH.size * 2))
    const inside = cells.get(cellOf(ra0 + 0.25, dec0 + 0.25)) ?? []
    return Array.from({ length: BATCH }, (_, i) => {
      const old = random() < 0.8 && inside.length > 0
      const index = inside[Math.floor(random() * inside.length)]!
      const ra = old ? positions[2 * index]! + (random() - 0.5) * 0.4 * ARCSEC : ra0 + random() * 0.5
      const dec = old ? positions[2 * index + 1]! + (random() - 0.5) * 0.4 * ARCSEC : dec0 + random() * 0.5
      return {
        imageId: b + 1,
        stream: 'bench',
        ra,
        dec,
        mjd: 61000 + b * 0.01 + i * 1e-7,
        filter: 'r',
        psfFlux: 1000 + random() * 100,
        psfFluxErr: 30,
        snr: 30,
        realBogus: 0.9,
        kind: 'brightening',
        x: random() * 4096,
        y: random() * 4096,
      }
    })
  })
}

const FLUX = JSON.stringify({ r: { n: 1, sum: 1000, sumWeight: 1 / 900, sumWeightedFlux: 1000 / 900 } })

function seedSqlite(file: string, positions: Float64Array): void {
  const db = new Database(file)
  const insert = db.prepare(
    'INSERT INTO dia_object (ra_deg, dec_deg, sky_key, n_detections, first_mjd, last_mjd, stream, flux_sums, created_at) VALUES (?, ?, ?, 1, 60000, 60000, ?, ?, ?)',
  )
  const now = new Date().toISOString()
  db.transaction(() => {
    for (let i = 0; i < OBJECTS; i++) {
      const ra = positions[2 * i]!
      const dec = positions[2 * i + 1]!
      insert.run(ra, dec, skyKey(ra, dec), 'seed', FLUX, now)
    }
  })()
  db.close()
}

async function seedPostgres(config: Extract<CatalogOptions, { kind: 'postgres' }>, positions: Float64Array): Promise<void> {
  const client = new pg.Client({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
  })
  await client.connect()
  try {
    const chunk = 50_000
    for (let at = 0; at < OBJECTS; at += chunk) {
      const ras: number[] = []
      const decs: number[] = []
      const keys: number[] = []
      for (let i = at; i < Math.min(OBJECTS, at + chunk); i++) {
        ras.push(positions[2 * i]!)
        decs.push(positions[2 * i + 1]!)
        keys.push(skyKey(positions[2 * i]!, positions[2 * i + 1]!))
      }
      await client.query(
        `INSERT INTO dia_object (ra_deg, dec_deg, sky_key, n_detections, first_mjd, last_mjd, stream, flux_sums)
         SELECT ra, dec, key, 1, 60000, 60000, 'seed', $4 FROM unnest($1::float8[], $2::float8[], $3::int[]) AS t(ra, dec, key)`,
        [ras, decs, keys, FLUX],
      )
    }
    await client.query('ANALYZE dia_object')
  } finally {
    await client.end()
  }
}

async function measure(kind: string, catalog: SqlCatalog, work: DetectionInput[][]): Promise<Record<string, unknown>> {
  const ledger = catalog.objectLedger(objectLedgerDeps)
  const times: number[] = []
  let created = 0
  const start = performance.now()
  for (const batch of work) {
    const t0 = performance.now()
    created += (await ledger.associate(batch)).created
    times.push(performance.now() - t0)
  }
  const seconds = (performance.now() - start) / 1000
  const detections = work.reduce((sum, batch) => sum + batch.length, 0)
  const batchMs = percentiles(times)
  return {
    bench: 'association',
    database: kind,
    objects: OBJECTS,
    batch: BATCH,
    detections,
    created,
    seconds: Math.round(seconds * 1000) / 1000,
    detectionsPerSecond: Math.round(detections / seconds),
    batchMsP50: Math.round(batchMs.p50),
    batchMsP99: Math.round(batchMs.p99),
    loadavg: os.loadavg().map((value) => Math.round(value * 100) / 100),
  }
}

const positions = objectPositions()
const work = batches(positions)

const dir = await mkdtemp(path.join(os.tmpdir(), 'imgpipe-assoc-bench-'))
try {
  const file = path.join(dir, 'bench.db')
  const catalog = (await openCatalog({ kind: 'sqlite', path: file })) as SqlCatalog
  try {
    await catalog.migrate()
    seedSqlite(file, positions)
    console.log(JSON.stringify(await measure('sqlite', catalog, work)))
  } finally {
    await catalog.close()
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}

const url = process.env['BENCH_DATABASE_URL']
if (url === undefined || url === '') {
  console.error('server: skipped (set BENCH_DATABASE_URL to a scratch PostgreSQL database; it is reset)')
} else {
  const password = process.env['IMGPIPE_DATABASE_PASSWORD']
  const config = parseDatabaseUrl(url, process.cwd(), process.env, password === '' ? undefined : password)
  if (config.kind !== 'postgres') throw new Error('BENCH_DATABASE_URL: the association bench seeds PostgreSQL only')
  const server = (await openCatalog(config)) as SqlCatalog
  try {
    await server.reset()
    await seedPostgres(config, positions)
    console.log(JSON.stringify(await measure('postgres', server, work)))
  } finally {
    await server.close()
  }
}
