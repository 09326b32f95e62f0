/**
 * `npm run bench:services`: the pipeline as separate processes (`imgpipe receive`, `analyze`, `alert`) on the test
 * services of `scripts/services.sh` (Kafka, MariaDB, S3Proxy; run `source <(scripts/services.sh env)` first). One
 * JSON line per measurement, each on a fresh database, S3 prefix and topic prefix:
 * - `services-limits`: what the services themselves do for the pipeline's operations from this machine: ~18 KB
 *   PUTs to S3Proxy (16 in flight), 100-row inserts into MariaDB, produces to Kafka (acks all);
 * - `end-to-end`: mock stream, analyze and alert running, `receive` timed until the last alert;
 * - `all-events`: `--streams 6 --change-every 1` on 6 partitions: receive alone, then the analyze backlog drained by
 *   1 process, again by 2 (fresh run), then the alert backlog by one alert process, each rate on its own;
 * - `latency`: a steady 20 images/s (`--interval 50`) with every stage running: p50/p99 receive→alert;
 * - `alert-drain`: a backlog of events (image and event rows written straight into the catalog, their alert messages
 *   produced on 6 partitions) drained by one `imgpipe alert` process: the rate between its first alert and the last
 *   delivered one (the catalog's timestamps), and the rate over the process's whole life (start-up and group join
 *   included); with `BENCH_SUBSCRIPTIONS=N`, N subscriptions each get a receiver row per alert;
 * - peak RSS of every process (from the process itself at exit);
 * - `operations` (after `end-to-end` and `latency`): per stage process and per received image, the SQL statements (by
 *   kind), transactions, object requests (by method) and Kafka requests (by API) it made, counted inside the process
 *   (the tally its `/metrics` shows as `imgpipe_operations_total`, read at its exit so that nothing is missed; start-up
 *   before the stage runs is left out); and `mariadb-status`: MariaDB's own `SHOW GLOBAL STATUS` deltas over the run
 *   (server-wide: other clients of the same server count too) and its `innodb_flush_log_at_trx_commit`.
 * `BENCH_SCENARIOS=limits,end-to-end,all-events-1,all-events-2,latency,alert-drain` picks scenarios (all by default);
 * `BENCH_SCALE=0.2` shortens every run.
 */
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { Admin, Producer, stringSerializers } from '@platformatic/kafka'
import mysql from 'mysql2/promise'
import {
  kernel,
  mockStreamImages,
  percentiles,
  ratio,
  round,
  runCliChild,
  startCliChild,
  type ChildResult,
  type RunningChild,
} from './bench-support.js'

const scale = Number(process.env['BENCH_SCALE'] ?? 1)
const only = process.env['BENCH_SCENARIOS']?.split(',').map((name) => name.trim())
const env = process.env
const mysqlUrl = required('IMGPIPE_TEST_MYSQL_URL')
const mysqlPassword = env['IMGPIPE_TEST_MYSQL_PASSWORD'] ?? ''
const kafkaUrl = required('IMGPIPE_TEST_KAFKA_URL')
const s3Url = new URL(required('IMGPIPE_TEST_S3_URL'))
const brokers = kafkaUrl.replace('kafka://', '').split(',')
const endpoint = s3Url.searchParams.get('endpoint') ?? undefined

function required(name: string): string {
  const value = env[name]
  if (value === undefined || value === '') throw new Error(`${name} is not set: run source <(scripts/services.sh env) first`)
  return value
}

const count = (n: number): number => Math.max(10, Math.round(n * scale))
const unique = (tag: string): string => `bench_${tag}_${randomBytes(4).toString('hex')}`

interface Deployment {
  env: Record<string, string>
  db: mysql.Connection
  cleanup(): Promise<void>
}

async function deploy(partitions: number): Promise<Deployment> {
  const url = new URL(mysqlUrl)
  const admin = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: mysqlPassword,
  })
  const database = unique('db').replace('bench_', 'imgpipe_t_bench_')
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
  await admin.changeUser({ database })
  const prefix = `${unique('t')}_`
  const store = new URL(s3Url)
  store.pathname = `/${unique('p')}`
  return {
    db: admin,
    env: {
      IMGPIPE_DATABASE_URL: `${url.protocol}//${url.username}@${url.host}/${database}`,
      IMGPIPE_DATABASE_PASSWORD: mysqlPassword,
      IMGPIPE_OBJECT_STORE_URL: store.toString(),
      IMGPIPE_BROKER_URL: kafkaUrl,
      IMGPIPE_TOPIC_PREFIX: prefix,
      IMGPIPE_TOPIC_PARTITIONS: String(partitions),
      // A metrics endpoint (on a free port) turns the operation counting on; the tally is printed at exit.
      IMGPIPE_METRICS_PORT: '0',
      BENCH_OPERATION_COUNTS: '1',
    },
    async cleanup() {
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined)
      await admin.end()
      const kafka = new Admin({ clientId: 'imgpipe-bench-cleanup', bootstrapBrokers: brokers })
      try {
        const topics = (await kafka.listTopics()).filter((topic) => topic.startsWith(prefix))
        if (topics.length > 0) await kafka.deleteTopics({ topics })
      } finally {
        await kafka.close()
      }
    },
  }
}

async function scalar(db: mysql.Connection, statement: string): Promise<number> {
  const [rows] = await db.query(statement)
  return Number(Object.values((rows as Record<string, unknown>[])[0] ?? {})[0] ?? 0)
}

/** Polls until the statement's number reaches `target`; resolves with the time it happened. */
async function until(db: mysql.Connection, statement: string, target: number, timeoutMs = 900_000): Promise<number> {
  const started = Date.now()
  for (;;) {
    if ((await scalar(db, statement)) >= target) return Date.now()
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${statement} to reach ${target}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const ANALYSED = `SELECT COUNT(*) FROM image_metadata WHERE status <> 'received'`
const ALERTED = `SELECT COUNT(*) FROM image_event_alert`
const DELIVERED = `${ALERTED} WHERE delivered_at IS NOT NULL`
/** Milliseconds from the first alert recorded to the last one delivered. */
/** The receive and analyze stages' own spans, from the catalog's timestamps (no process start-up or group join). */
const RECEIVE_MS = 'SELECT TIMESTAMPDIFF(MICROSECOND, MIN(received_at), MAX(received_at)) / 1000 FROM image_metadata'
const ANALYZE_MS = 'SELECT TIMESTAMPDIFF(MICROSECOND, MIN(analyzed_at), MAX(analyzed_at)) / 1000 FROM image_metadata'
const DRAIN_MS = 'SELECT TIMESTAMPDIFF(MICROSECOND, MIN(created_at), MAX(delivered_at)) / 1000 FROM image_event_alert'

async function stopAll(children: RunningChild[]): Promise<Record<string, number>> {
  return (await stopAllWithResults(children)).rss
}

async function stopAllWithResults(
  children: RunningChild[],
): Promise<{ rss: Record<string, number>; results: Record<string, ChildResult> }> {
  const stopped = await Promise.all(children.map((child) => child.stop()))
  const rss: Record<string, number> = {}
  const results: Record<string, ChildResult> = {}
  stopped.forEach((result, index) => {
    rss[children[index]!.name] = round(result.maxRssKb / 1024)
    results[children[index]!.name] = result
  })
  return { rss, results }
}

/** Per-image figures are mostly below 1: three decimals, where `round` keeps one. */
const per = (n: number, images: number): number => Math.round((n / images) * 1000) / 1000

/** One `operations` line per stage process: its counts in all and per received image. */
function operationLines(scenario: string, images: number, results: Record<string, ChildResult>): Record<string, unknown>[] {
  return Object.entries(results).map(([stage, result]) => {
    const counts = result.operations ?? {}
    const perImage = (kind: string): Record<string, number> =>
      Object.fromEntries(Object.entries(counts[kind] ?? {}).map(([op, n]) => [op, per(n, images)]))
    const sum = (kind: string): number => Object.values(counts[kind] ?? {}).reduce((a, b) => a + b, 0)
    return {
      measure: 'operations',
      scenario,
      stage,
      images,
      per_image: {
        sql_statements: per(sum('sql_statement'), images),
        sql_statements_by_kind: perImage('sql_statement'),
        sql_transactions: per(counts['sql_transaction']?.['begin'] ?? 0, images),
        sql_transactions_by_end: perImage('sql_transaction'),
        object_requests: per(sum('object_request'), images),
        object_requests_by_method: perImage('object_request'),
        kafka_requests: per(sum('kafka_request'), images),
        kafka_requests_by_api: perImage('kafka_request'),
      },
      totals: counts,
    }
  })
}

const MARIADB_STATUS = [
  'Com_select',
  'Com_insert',
  'Com_update',
  'Com_delete',
  'Com_begin',
  'Com_commit',
  'Com_rollback',
  'Questions',
  'Handler_commit',
  // Gone from MariaDB 10.8 on: absent from the line there (Innodb_data_fsyncs stays).
  'Innodb_os_log_fsyncs',
  'Innodb_data_fsyncs',
  'Binlog_commits',
] as const

async function mariadbStatus(db: mysql.Connection): Promise<Record<string, number>> {
  const [rows] = await db.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (${MARIADB_STATUS.map(() => '?').join(',')})`, [
    ...MARIADB_STATUS,
  ])
  return Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((row) => [row.Variable_name, Number(row.Value)]))
}

/** MariaDB's own view of a run: status deltas in all and per image, and the durability settings behind the fsyncs. */
async function mariadbStatusLine(
  scenario: string,
  images: number,
  db: mysql.Connection,
  before: Record<string, number>,
): Promise<Record<string, unknown>> {
  const after = await mariadbStatus(db)
  const delta = Object.fromEntries(Object.keys(after).map((name) => [name, after[name]! - (before[name] ?? 0)]))
  const [rows] = await db.query(
    `SELECT @@version AS version, @@innodb_flush_log_at_trx_commit AS innodb_flush_log_at_trx_commit,
       @@sync_binlog AS sync_binlog, @@log_bin AS log_bin, @@innodb_flush_method AS innodb_flush_method`,
  )
  return {
    measure: 'mariadb-status',
    scenario,
    images,
    // Server-wide counters: the bench's own polling and anything else using the server are in them too.
    delta,
    per_image: Object.fromEntries(Object.entries(delta).map(([name, n]) => [name, per(n, images)])),
    settings: (rows as Record<string, unknown>[])[0],
    production_default: { innodb_flush_log_at_trx_commit: 1 },
  }
}

async function serviceLimits(): Promise<Record<string, unknown>> {
  const deployment = await deploy(1)
  try {
    const body = randomBytes(18 * 1024)
    const s3 = new S3Client({ endpoint, region: s3Url.searchParams.get('region') ?? 'us-east-1', forcePathStyle: true })
    const bucket = s3Url.hostname
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined)
    const puts = count(1000)
    const prefix = unique('limits')
    let next = 0
    let started = Date.now()
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < puts) {
          const index = next++
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/object_${index}.jpg`, Body: body }))
        }
      }),
    )
    const putsPerSecond = round(puts / ((Date.now() - started) / 1000))
    s3.destroy()

    await deployment.db.query('CREATE TABLE bench_rows (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), n INT)')
    const rows = count(20_000)
    started = Date.now()
    for (let first = 0; first < rows; first += 100) {
      const values = Array.from({ length: 100 }, (_, index) => [`image_${first + index}.jpg`, first + index])
      await deployment.db.query('INSERT INTO bench_rows (name, n) VALUES ?', [values])
    }
    const rowsPerSecond = round(rows / ((Date.now() - started) / 1000))

    const topic = `${deployment.env['IMGPIPE_TOPIC_PREFIX']}limits`
    const kafka = new Admin({ clientId: 'imgpipe-bench', bootstrapBrokers: brokers })
    await kafka.createTopics({ topics: [topic], partitions: 3, replicas: -1 })
    await kafka.close()
    const producer = new Producer({
      clientId: 'imgpipe-bench',
      bootstrapBrokers: brokers,
      serializers: stringSerializers,
      idempotent: true,
      acks: -1,
    })
    const messages = count(20_000)
    started = Date.now()
    for (let first = 0; first < messages; first += 100) {
      await producer.send({
        messages: Array.from({ length: 100 }, (_, index) => ({
          topic,
          key: `k${index % 6}`,
          value: JSON.stringify({ image_id: first + index }),
        })),
      })
    }
    const producesPerSecond = round(messages / ((Date.now() - started) / 1000))
    await producer.close()
    return {
      measure: 'services-limits',
      s3_puts_18kb_per_s: putsPerSecond,
      mariadb_rows_per_s_batches_of_100: rowsPerSecond,
      kafka_messages_per_s_batches_of_100: producesPerSecond,
    }
  } finally {
    await deployment.cleanup()
  }
}

async function endToEnd(): Promise<Record<string, unknown>[]> {
  const images = count(1000)
  const deployment = await deploy(3)
  try {
    const consumers = [startCliChild('analyze', ['analyze'], deployment.env), startCliChild('alert', ['alert'], deployment.env)]
    await Promise.all(consumers.map((child) => child.consuming))
    const status = await mariadbStatus(deployment.db)
    const started = Date.now()
    const receive = await runCliChild(['receive', '--count', String(images), '--json'], deployment.env)
    const events = Math.floor((images + 1) / 4)
    const done = await until(deployment.db, ALERTED, events)
    const { rss, results } = await stopAllWithResults(consumers)
    const mariadb = await mariadbStatusLine('end-to-end', images, deployment.db, status)
    const e2e = {
      measure: 'end-to-end',
      images,
      events,
      seconds: round((done - started) / 1000),
      images_per_s: round(images / ((done - started) / 1000)),
      receive_images_per_s: round(images / receive.seconds),
      receive_span_images_per_s: round(images / ((await scalar(deployment.db, RECEIVE_MS)) / 1000)),
      peak_rss_mb: { receive: round(receive.maxRssKb / 1024), ...rss },
    }
    return [e2e, ...operationLines('end-to-end', images, { receive, ...results }), mariadb]
  } finally {
    await deployment.cleanup()
  }
}

async function allEvents(analyzers: 1 | 2): Promise<Record<string, unknown>> {
  const perStream = count(100)
  const images = perStream * 6
  const deployment = await deploy(6)
  try {
    const receive = await runCliChild(
      ['receive', '--count', String(perStream), '--streams', '6', '--change-every', '1', '--json'],
      deployment.env,
    )
    const analyzing = Array.from({ length: analyzers }, (_, index) => startCliChild(`analyze-${index + 1}`, ['analyze'], deployment.env))
    const started = Date.now()
    const analysed = await until(deployment.db, ANALYSED, images)
    const events = await scalar(deployment.db, 'SELECT COUNT(*) FROM image_event')
    const alert = startCliChild('alert', ['alert'], deployment.env)
    const alertStarted = Date.now()
    const alerted = await until(deployment.db, DELIVERED, events)
    const rss = await stopAll([...analyzing, alert])
    const drainMs = await scalar(deployment.db, DRAIN_MS)
    const analyzeSpan = round(images / ((await scalar(deployment.db, ANALYZE_MS)) / 1000))
    const alone = await kernel(await mockStreamImages(perStream, 1))
    return {
      measure: 'all-events',
      analyzers,
      images,
      events,
      receive_images_per_s: round(images / receive.seconds),
      receive_span_images_per_s: round(images / ((await scalar(deployment.db, RECEIVE_MS)) / 1000)),
      // From the first analyzer's start: includes joining the group, as a freshly started stage does.
      analyze_images_per_s: round(images / ((analysed - started) / 1000)),
      // From the first analysis to the last, and the kernel alone (decode, compare, encode) on one stream's images.
      analyze_span_images_per_s: analyzeSpan,
      kernel_images_per_s: alone.imagesPerSecond,
      ratio_analyze_span_to_kernel: ratio(analyzeSpan, alone.imagesPerSecond),
      // The stage's own span (first alert to last delivery), and the process's whole life (start-up and group join).
      alert_drain_alerts_per_s: round(events / (drainMs / 1000)),
      alert_process_alerts_per_s: round(events / ((alerted - alertStarted) / 1000)),
      peak_rss_mb: { receive: round(receive.maxRssKb / 1024), ...rss },
    }
  } finally {
    await deployment.cleanup()
  }
}

async function latency(): Promise<Record<string, unknown>[]> {
  const images = count(600)
  const deployment = await deploy(3)
  try {
    const consumers = [startCliChild('analyze', ['analyze'], deployment.env), startCliChild('alert', ['alert'], deployment.env)]
    await Promise.all(consumers.map((child) => child.consuming))
    const status = await mariadbStatus(deployment.db)
    const receive = await runCliChild(['receive', '--count', String(images), '--interval', '50', '--json'], deployment.env)
    const events = Math.floor((images + 1) / 4)
    await until(deployment.db, ALERTED, events)
    const { results } = await stopAllWithResults(consumers)
    const mariadb = await mariadbStatusLine('latency', images, deployment.db, status)
    const [rows] = await deployment.db.query(
      `SELECT TIMESTAMPDIFF(MICROSECOND, i.received_at, a.created_at) / 1000 AS ms FROM image_event_alert a
         JOIN image_event e ON e.image_event_id = a.image_event_id JOIN image_metadata i ON i.image_id = e.image_id`,
    )
    const values = (rows as { ms: string | number }[]).map((row) => Number(row.ms))
    return [
      { measure: 'latency', rate_images_per_s: 20, images, receive_to_alert_ms: percentiles(values) },
      ...operationLines('latency', images, { receive, ...results }),
      mariadb,
    ]
  } finally {
    await deployment.cleanup()
  }
}

/**
 * A backlog of `events` events with their difference image keys, written straight into a migrated catalog (a row
 * per image and per event, as the analyze stage leaves them), and one alert message per event on 6 partitions.
 */
async function seedAlertBacklog(deployment: Deployment, events: number): Promise<void> {
  await runCliChild(['db', 'create'], deployment.env)
  const streams = 6
  for (let first = 0; first < events; first += 1000) {
    const rows = Array.from({ length: Math.min(1000, events - first) }, (_, index) => {
      const n = first + index
      const stream = `bench-${(n % streams) + 1}`
      const num = Math.floor(n / streams) + 1
      return [`image_${num}.jpg`, `image/${stream}__image_${num}.jpg`, stream, num, 'analyzed', 0.5]
    })
    await deployment.db.query(
      'INSERT INTO image_metadata (image_filename, image_object_key, stream, image_num, status, changed_fraction) VALUES ?',
      [rows],
    )
  }
  await deployment.db.query(
    `INSERT INTO image_event (image_id, difference_image_object_key, event_type)
       SELECT image_id, CONCAT('difference_image/bench_', image_id, '.png'), 'changed' FROM image_metadata ORDER BY image_id`,
  )
  const [rows] = await deployment.db.query('SELECT image_event_id AS id FROM image_event ORDER BY image_event_id')
  const ids = (rows as { id: number }[]).map((row) => row.id)
  const topic = `${deployment.env['IMGPIPE_TOPIC_PREFIX']}image_event_alert`
  const kafka = new Admin({ clientId: 'imgpipe-bench', bootstrapBrokers: brokers })
  await kafka.createTopics({ topics: [topic], partitions: streams, replicas: -1 })
  await kafka.close()
  const producer = new Producer({ clientId: 'imgpipe-bench', bootstrapBrokers: brokers, serializers: stringSerializers, acks: -1 })
  for (let first = 0; first < ids.length; first += 500) {
    await producer.send({
      messages: ids.slice(first, first + 500).map((id, index) => ({
        topic,
        partition: (first + index) % streams,
        key: `bench-${((first + index) % streams) + 1}`,
        value: JSON.stringify({ image_event_id: id }),
      })),
    })
  }
  await producer.close()
}

async function alertDrain(): Promise<Record<string, unknown>> {
  const events = count(10_000)
  const subscriptions = Number(env['BENCH_SUBSCRIPTIONS'] ?? 0)
  const deployment = await deploy(6)
  try {
    await seedAlertBacklog(deployment, events)
    if (subscriptions > 0) {
      await runCliChild(['subscriber', 'add', 'bench'], deployment.env)
      for (let index = 1; index <= subscriptions; index += 1) {
        const topic = `${deployment.env['IMGPIPE_TOPIC_PREFIX']}alerts_${index}`
        await runCliChild(
          ['subscription', 'add', `bench-${index}`, '--subscriber', 'bench', '--channel', 'kafka-topic', '--target', topic],
          deployment.env,
        )
      }
    }
    const started = Date.now()
    const alert = startCliChild('alert', ['alert'], deployment.env)
    await until(deployment.db, DELIVERED, events)
    const done = Date.now()
    const rss = await stopAll([alert])
    // The stage's own span: from its first alert to its last delivery, start-up and group join left out.
    const drainMs = await scalar(deployment.db, DRAIN_MS)
    const receivers = await scalar(deployment.db, 'SELECT COUNT(*) FROM image_event_alert_receiver')
    return {
      measure: 'alert-drain',
      events,
      subscriptions,
      receivers,
      alert_drain_alerts_per_s: round(events / (drainMs / 1000)),
      drain_seconds: round(drainMs / 1000),
      process_alerts_per_s: round(events / ((done - started) / 1000)),
      process_seconds: round((done - started) / 1000),
      peak_rss_mb: rss,
    }
  } finally {
    await deployment.cleanup()
  }
}

const base = { bench: 'imgpipe-services', backends: 'kafka 4.4 + mariadb + s3proxy', node: process.version, cpus: os.cpus().length }
type Line = Record<string, unknown>
const SCENARIOS: Record<string, () => Promise<Line | Line[]>> = {
  limits: serviceLimits,
  'end-to-end': async () => {
    const [e2e, ...rest] = await endToEnd()
    return [{ ...e2e, ratio_to_original_85_110: ratio(e2e!['images_per_s'] as number, 97.5) }, ...rest]
  },
  'all-events-1': () => allEvents(1),
  'all-events-2': () => allEvents(2),
  latency,
  'alert-drain': alertDrain,
}
for (const [name, scenario] of Object.entries(SCENARIOS)) {
  if (only !== undefined && !only.includes(name)) continue
  process.stderr.write(`bench: ${name}\n`)
  const result = await scenario()
  for (const line of Array.isArray(result) ? result : [result]) process.stdout.write(`${JSON.stringify({ ...base, ...line })}\n`)
}
