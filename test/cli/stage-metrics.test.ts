/**
 * The stages' metrics endpoint, on the built CLI: `/metrics` scraped while a run goes on shows the counters
 * moving, `/health` and `/ready` answer, on the embedded backends and with the stages as separate processes
 * on Kafka + PostgreSQL + S3Proxy.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanEnv, collect, spawnCli } from '../support/cli.js'
import { deploy, startStage, stopStage } from '../support/e2e.js'
import { serviceUrl, TEST_ENV } from '../support/integration.js'

/** A port free right now (the stage binds it a moment later). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** The value of one series in the text exposition format, 0 when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const match = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (match === null || match[1] !== name) continue
    const have = (match[2] ?? '').split(',')
    if (wanted.every((label) => have.includes(label))) return Number(match[3])
  }
  return 0
}

async function get(port: number, route: string): Promise<{ status: number; body: string } | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${route}`)
    return { status: response.status, body: await response.text() }
  } catch {
    return null // not listening (yet, or any more)
  }
}

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('stage metrics endpoint', () => {
  it('shows the counters moving during an embedded run, with health and readiness', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-metrics-'))
    dirs.push(dir)
    const port = await freePort()
    const env = cleanEnv({ IMGPIPE_DATABASE_URL: `sqlite:${dir}/db.sqlite`, IMGPIPE_OBJECT_STORE_URL: `file:${dir}/objects` })
    const child = spawnCli(['receive', '--count', '12', '--interval', '150', '--metrics-port', String(port)], env)
    const finished = collect(child, 120_000)
    let exited = false
    void finished.then(() => (exited = true))
    const received: number[] = []
    let last = ''
    let health: { status: number; body: string } | null = null
    let ready: { status: number; body: string } | null = null
    while (!exited) {
      const scrape = await get(port, '/metrics')
      if (scrape !== null) {
        expect(scrape.status).toBe(200)
        last = scrape.body
        received.push(sample(last, 'imgpipe_images_received_total', { outcome: 'received' }))
        health ??= await get(port, '/health')
        ready ??= await get(port, '/ready')
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const result = await finished
    expect(result.code, result.stderr).toBe(0)
    // Moving: several distinct, growing values were seen while the run went on.
    const distinct = [...new Set(received)].filter((value) => value > 0)
    expect(distinct.length).toBeGreaterThanOrEqual(3)
    expect(distinct).toEqual([...distinct].sort((a, b) => a - b))
    expect(sample(last, 'imgpipe_images_analyzed_total')).toBeGreaterThan(0)
    expect(sample(last, 'imgpipe_handler_duration_seconds_count', { stage: 'analyze' })).toBeGreaterThan(0)
    expect(last).toMatch(/^imgpipe_pending_rows\{kind="images_received"\} \d+$/m)
    expect(last).toMatch(/^imgpipe_consumer_lag_messages\{group="image_analysis_group",topic="image_analysis",partition="0"\} \d+$/m)
    expect(last).toContain('# TYPE imgpipe_receive_to_alert_seconds histogram')
    // Operation counts: SQLite statements and transactions, and nothing for Kafka or S3 (memory bus, file store).
    expect(sample(last, 'imgpipe_operations_total', { kind: 'sql_statement', op: 'insert' })).toBeGreaterThan(0)
    expect(sample(last, 'imgpipe_operations_total', { kind: 'sql_transaction', op: 'commit' })).toBeGreaterThan(0)
    expect(last).not.toContain('kind="kafka_request"')
    expect(last).not.toContain('kind="object_request"')
    expect(health).toEqual({ status: 200, body: '{"status":"ok"}\n' })
    expect(ready?.status).toBe(200)
    expect(JSON.parse(ready!.body)).toEqual({ status: 'ready', checks: { database: 'ok', store: 'ok', broker: 'ok' } })
  })

  const kafkaUrl = serviceUrl(TEST_ENV.kafkaUrl, 'Kafka')
  const ready =
    kafkaUrl !== null && serviceUrl(TEST_ENV.postgresUrl, 'PostgreSQL') !== null && serviceUrl(TEST_ENV.s3Url, 'S3Proxy') !== null

  it.skipIf(!ready)('shows each stage process moving on Kafka + PostgreSQL + S3Proxy, lag included', async () => {
    const deployment = await deploy(kafkaUrl!, 'postgres')
    try {
      const [analyzePort, alertPort, receivePort] = [await freePort(), await freePort(), await freePort()]
      const alert = startStage('alert', { ...deployment.env, IMGPIPE_METRICS_PORT: String(alertPort) })
      const analyze = startStage('analyze', { ...deployment.env, IMGPIPE_METRICS_PORT: String(analyzePort) })
      await Promise.all([alert.consuming, analyze.consuming])
      const receive = spawnCli(['receive', '--count', '10', '--interval', '200', '--metrics-port', String(receivePort)], deployment.env)
      const received = collect(receive, 180_000)
      let exited = false
      void received.then(() => (exited = true))
      const analysed: number[] = []
      const sent: number[] = []
      while (!exited) {
        const [fromAnalyze, fromReceive] = await Promise.all([get(analyzePort, '/metrics'), get(receivePort, '/metrics')])
        if (fromAnalyze !== null) analysed.push(sample(fromAnalyze.body, 'imgpipe_images_analyzed_total'))
        if (fromReceive !== null) sent.push(sample(fromReceive.body, 'imgpipe_images_received_total', { outcome: 'received' }))
        await new Promise((resolve) => setTimeout(resolve, 150))
      }
      expect((await received).code).toBe(0)
      expect(new Set(sent.filter((value) => value > 0)).size).toBeGreaterThanOrEqual(3)
      expect(new Set(analysed.filter((value) => value > 0)).size).toBeGreaterThanOrEqual(2)

      // The alert stage ends with both alerts delivered; the analyzers' group has drained.
      let alertText = ''
      for (;;) {
        alertText = (await get(alertPort, '/metrics'))?.body ?? ''
        if (sample(alertText, 'imgpipe_deliveries_total', { channel: 'log', outcome: 'ok' }) >= 2) break
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      expect(sample(alertText, 'imgpipe_alerts_total')).toBe(2)
      expect(sample(alertText, 'imgpipe_receive_to_alert_seconds_count')).toBe(2)
      // What the alert stage asked of its services: Kafka fetches and commits, PostgreSQL transactions, no S3 writes.
      const operations = (kind: string, op: string): number => sample(alertText, 'imgpipe_operations_total', { kind, op })
      expect(operations('kafka_request', 'Fetch')).toBeGreaterThan(0)
      expect(operations('kafka_request', 'OffsetCommit')).toBeGreaterThan(0)
      expect(operations('sql_transaction', 'commit')).toBeGreaterThan(0)
      expect(operations('object_request', 'PUT')).toBe(0)
      const group = `${deployment.prefix}image_analysis_group`
      for (;;) {
        const text = (await get(analyzePort, '/metrics'))?.body ?? ''
        const partitions = [0, 1, 2].map((partition) =>
          text.includes(
            `imgpipe_consumer_lag_messages{group="${group}",topic="${deployment.prefix}image_analysis",partition="${partition}"}`,
          ),
        )
        const lag = [0, 1, 2].reduce(
          (sum, partition) => sum + sample(text, 'imgpipe_consumer_lag_messages', { group, partition: String(partition) }),
          0,
        )
        if (partitions.every(Boolean) && lag === 0) break
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      const analyzeText = (await get(analyzePort, '/metrics'))!.body
      expect(sample(analyzeText, 'imgpipe_images_analyzed_total')).toBe(10)
      // One difference image PUT per event (2 of 10 images), and the alert messages produced.
      expect(sample(analyzeText, 'imgpipe_operations_total', { kind: 'object_request', op: 'PUT' })).toBe(2)
      expect(sample(analyzeText, 'imgpipe_operations_total', { kind: 'kafka_request', op: 'Produce' })).toBeGreaterThan(0)
      const readiness = await get(alertPort, '/ready')
      expect(readiness?.status).toBe(200)
      await Promise.all([stopStage(alert), stopStage(analyze)])
    } finally {
      await deployment.cleanup()
    }
  })
})
