import { existsSync } from 'node:fs'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectStatus, renderStatus } from '../../../src/cli/commands/status-command.js'
import type { StatusReport } from '../../../src/cli/commands/status-command.js'
import { describeCatalog, describeObjectStore } from '../../../src/adapters/backend-options.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { parseObjectStoreUrl } from '../../support/setting-parsers.js'
import { silentLogger } from '../../../src/core/logger.js'
import { kafkaTestBrokers } from '../../support/bus-backends.js'
import { freshDatabaseUrl, testServerConfig } from '../../support/catalog-backends.js'
import type { FreshDatabase } from '../../support/catalog-backends.js'
import { cleanEnv, repoRoot, runCli } from '../../support/cli.js'
import type { CliResult } from '../../support/cli.js'
import { freshStoreUrl, s3TestUrl } from '../../support/store-backends.js'
import type { FreshStoreUrl } from '../../support/store-backends.js'

/** The built CLI, run as a user would. */
const imgpipe = (args: readonly string[], env: Record<string, string>): Promise<CliResult> => runCli(args, env)

/** The lines the CLI itself wrote on stderr (Node may add its own warnings). */
function reasonLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('imgpipe:') || line.startsWith('error:'))
}

const quiet = { NODE_NO_WARNINGS: '1', AWS_EC2_METADATA_DISABLED: 'true' }

describe('imgpipe status on SQLite + directory + in-process bus', () => {
  let db: FreshDatabase
  let store: FreshStoreUrl
  let env: Record<string, string>
  beforeAll(async () => {
    db = (await freshDatabaseUrl('sqlite'))!
    store = (await freshStoreUrl('directory'))!
    env = cleanEnv({ IMGPIPE_DATABASE_URL: db.url, IMGPIPE_OBJECT_STORE_URL: store.url, ...quiet })
  })
  afterAll(async () => {
    await Promise.allSettled([db?.cleanup(), store?.cleanup()])
  })

  it('says there is no database yet before the first run, without creating one, and exits 0', async () => {
    const result = await imgpipe(['status', '--json'], env)
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as StatusReport
    expect(report).toMatchObject({ ok: true, counts: null, countsDetail: 'no data yet' })
    expect(report.database.detail).toContain('no database file yet')
    expect(report.store).toMatchObject({ answers: true, detail: 'no directory yet (the first run makes it)' })
    expect(existsSync(db.url.slice('sqlite:'.length))).toBe(false)
  })

  it('reports all three up with the pipeline counts after a run, exit code 0', async () => {
    expect((await runCli(['run'], env)).code).toBe(0)
    const json = await imgpipe(['status', '--json'], env)
    expect(json.stderr).toBe('')
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout) as StatusReport
    expect(report.ok).toBe(true)
    expect(report.database).toMatchObject({ target: describeCatalog(db.config), answers: true })
    expect(report.store).toMatchObject({ target: describeObjectStore(parseObjectStoreUrl(store.url, repoRoot)), answers: true })
    expect(report.broker).toMatchObject({ target: 'memory:', answers: true })
    expect(report.counts).toEqual({
      images: 10,
      imagesReceived: 0,
      imagesAnalyzed: 10,
      imagesFailed: 0,
      events: 2,
      alerts: 2,
      alertsUndelivered: 0,
    })

    const text = await imgpipe(['status'], env)
    expect(text.code).toBe(0)
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(new RegExp(`^database +up +${escape(describeCatalog(db.config))} — answered in \\d+ ms$`))
    expect(lines[1]).toMatch(/^store +up +file:.* — answered in \d+ ms$/)
    expect(lines[2]).toMatch(/^broker +up +memory: — in-process bus/)
    expect(lines[3]).toBe('pipeline       10 images (10 analysed, 0 pending, 0 failed), 2 image events, 2 alerts (0 undelivered)')
  })

  it('exits 1 naming the broker when it does not answer, still reporting the rest', async () => {
    const result = await imgpipe(['status', '--broker-url', 'kafka://127.0.0.1:1'], env)
    expect(result.code).toBe(1)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^database +up /)
    expect(lines[1]).toMatch(/^store +up /)
    expect(lines[2]).toMatch(/^broker +DOWN +kafka:\/\/127\.0\.0\.1:1 — /)
    expect(lines[3]).toContain('10 images')
    const reasons = reasonLines(result.stderr)
    expect(reasons).toHaveLength(1)
    expect(reasons[0]).toMatch(/^imgpipe: broker kafka:\/\/127\.0\.0\.1:1 is not available: .*\[IMGPIPE_BUS_UNAVAILABLE\]$/)

    const json = await imgpipe(['status', '--json', '--broker-url', 'kafka://127.0.0.1:1'], env)
    expect(json.code).toBe(1)
    const report = JSON.parse(json.stdout) as StatusReport
    expect(report).toMatchObject({ ok: false, database: { answers: true }, store: { answers: true } })
    expect(report.broker).toMatchObject({ target: 'kafka://127.0.0.1:1', answers: false, code: 'IMGPIPE_BUS_UNAVAILABLE' })
  })
})

describe('imgpipe status with services that do not answer', () => {
  let silent: net.Server
  const sockets = new Set<net.Socket>()
  let silentPort: number
  beforeAll(async () => {
    // Accepts connections and never says a word: what a hung server or a half-open firewall looks like.
    silent = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => undefined)
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    silentPort = (silent.address() as net.AddressInfo).port
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })

  it('names every service that does not answer, and the counts are unknown without a database', async () => {
    const result = await imgpipe(
      ['status'],
      cleanEnv({
        IMGPIPE_DATABASE_URL: 'mysql://imgpipe@127.0.0.1:1/imgpipe',
        IMGPIPE_DATABASE_PASSWORD: 'hunter2-not-printed',
        IMGPIPE_OBJECT_STORE_URL: 's3://imgpipe-test?endpoint=http://127.0.0.1:1&region=us-east-1&forcePathStyle=true',
        ...quiet,
      }),
    )
    expect(result.code).toBe(1)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^database +DOWN +mysql:\/\/imgpipe@127\.0\.0\.1:1\/imgpipe — /)
    expect(lines[1]).toMatch(/^store +DOWN +s3:\/\/imgpipe-test\/ \(endpoint http:\/\/127\.0\.0\.1:1\) — /)
    expect(lines[2]).toMatch(/^broker +up +memory:/)
    expect(lines[3]).toBe('pipeline       unknown: the database does not answer')
    expect(reasonLines(result.stderr)).toEqual([
      'imgpipe: database mysql://imgpipe@127.0.0.1:1/imgpipe and store s3://imgpipe-test/ (endpoint http://127.0.0.1:1) are not available [IMGPIPE_CATALOG_UNAVAILABLE]',
    ])
    expect(result.stdout + result.stderr).not.toContain('hunter2')
  })

  it('gives up on a service that accepts the connection and never answers, after the time limit', async () => {
    const result = await imgpipe(
      ['status', '--timeout', '300', '--json'],
      cleanEnv({
        IMGPIPE_DATABASE_URL: `postgres://imgpipe@127.0.0.1:${silentPort}/imgpipe`,
        IMGPIPE_BROKER_URL: `kafka://127.0.0.1:${silentPort}`,
        ...quiet,
      }),
    )
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout) as StatusReport
    expect(report.database).toMatchObject({ answers: false, detail: 'no answer within 300 ms', code: 'IMGPIPE_CATALOG_UNAVAILABLE' })
    expect(report.broker).toMatchObject({ answers: false, detail: 'no answer within 300 ms', code: 'IMGPIPE_BUS_UNAVAILABLE' })
    expect(report.store.answers).toBe(true)
  })
})

const serversAvailable = testServerConfig('mysql') !== null && s3TestUrl() !== null && kafkaTestBrokers() !== null

describe.skipIf(!serversAvailable)('imgpipe status on MariaDB + S3 + Kafka', () => {
  let db: FreshDatabase
  let store: FreshStoreUrl
  let env: Record<string, string>
  beforeAll(async () => {
    db = (await freshDatabaseUrl('mysql'))!
    store = (await freshStoreUrl('s3'))!
    env = cleanEnv({
      IMGPIPE_DATABASE_URL: db.url,
      IMGPIPE_DATABASE_PASSWORD: db.password,
      IMGPIPE_OBJECT_STORE_URL: store.url,
      IMGPIPE_BROKER_URL: `kafka://${kafkaTestBrokers()!.join(',')}`,
      ...quiet,
    })
  })
  afterAll(async () => {
    await Promise.allSettled([db?.cleanup(), store?.cleanup()])
  })

  it('reports all three up, exit code 0, and the counts once the tables exist', async () => {
    const before = await imgpipe(['status', '--json'], env)
    expect(before.code).toBe(0)
    const empty = JSON.parse(before.stdout) as StatusReport
    expect(empty).toMatchObject({
      ok: true,
      database: { answers: true },
      store: { answers: true },
      broker: { answers: true },
      counts: null,
    })
    // The server answers; the missing tables are said, not counted as a dead database.
    expect(empty.countsDetail).toContain('counts unavailable')

    const catalog = db.openCatalog()
    try {
      await catalog.migrate()
    } finally {
      await catalog.close()
    }
    const after = await imgpipe(['status'], env)
    expect(after.stderr).toBe('')
    expect(after.code).toBe(0)
    expect(after.stdout).toContain(`database up    ${describeCatalog(db.config)} — answered in`)
    expect(after.stdout).toMatch(/\nbroker +up +kafka:\/\/.* — answered in \d+ ms\n/)
    expect(after.stdout).toContain('pipeline       0 images (0 analysed, 0 pending, 0 failed), 0 image events, 0 alerts (0 undelivered)')
    expect(after.stdout).not.toContain(db.password ?? 'no password configured')
  })
})

describe('collectStatus and renderStatus', () => {
  it('finds everything up in memory (SQLite :memory:, memory store, in-process bus)', async () => {
    const config = loadConfig({ IMGPIPE_DATABASE_URL: 'sqlite::memory:', IMGPIPE_OBJECT_STORE_URL: 'memory:' })
    const report = await collectStatus(config, silentLogger, 5_000)
    expect(report).toMatchObject({
      ok: true,
      database: { target: 'sqlite::memory:', answers: true },
      store: { target: 'memory:', answers: true },
      broker: { target: 'memory:', answers: true },
    })
    // A fresh in-memory database has no tables: answered, but nothing to count.
    expect(report.counts).toBeNull()
    expect(report.countsDetail).toContain('counts unavailable')
  })

  it('renders one line per service and escapes what a server said', () => {
    const lines = renderStatus({
      ok: false,
      database: { target: 'sqlite:/x.db', answers: true, ms: 3, detail: 'answered in 3 ms' },
      store: { target: 'file:/objects', answers: true, ms: 1, detail: 'answered in 1 ms' },
      broker: { target: 'kafka://h:9092', answers: false, ms: 5, detail: 'refused\u001b[2J', code: 'IMGPIPE_BUS_UNAVAILABLE' },
      counts: { images: 1, imagesReceived: 1, imagesAnalyzed: 0, imagesFailed: 0, events: 0, alerts: 0, alertsUndelivered: 0 },
      consumerLag: null,
    })
    expect(lines).toEqual([
      'database up    sqlite:/x.db — answered in 3 ms',
      'store    up    file:/objects — answered in 1 ms',
      'broker   DOWN  kafka://h:9092 — refused\\u{1b}[2J',
      'pipeline       1 images (0 analysed, 1 pending, 0 failed), 0 image events, 0 alerts (0 undelivered)',
    ])
  })

  it('renders retrying deliveries with the command that sends them, and escapes subscription names', () => {
    const lines = renderStatus({
      ok: true,
      database: { target: 'sqlite:/x.db', answers: true, ms: 3, detail: 'answered in 3 ms' },
      store: { target: 'file:/objects', answers: true, ms: 1, detail: 'answered in 1 ms' },
      broker: { target: 'memory:', answers: true, ms: 0, detail: 'in-process bus: answers by construction' },
      counts: { images: 2, imagesReceived: 0, imagesAnalyzed: 2, imagesFailed: 0, events: 1, alerts: 1, alertsUndelivered: 0 },
      consumerLag: null,
      consumerLagDetail: 'in-process bus',
      failedDeliveries: [{ subscription: 'hook\u001b[31m', subscriber: 'ada', channel: 'webhook', retrying: 2, dead: 0 }],
    })
    expect(lines.slice(-2)).toEqual([
      'deliveries     webhook subscription hook\\u{1b}[31m (subscriber ada): 2 retrying',
      '               retrying deliveries are sent by a running imgpipe alert process, or now by `imgpipe deliver --once`',
    ])
    expect(lines.join('\n')).not.toContain('deliveries retry')
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
