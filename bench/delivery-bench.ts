/**
 * `npm run bench:delivery`: prints one JSON line per backend: deliveries/s for BENCH_ALERTS (default 1,000)
 * alerts × BENCH_SUBSCRIPTIONS (default 10) webhook subscriptions, through the real delivery worker, the
 * webhook channel (CloudEvents + Standard Webhooks signature) and a local HTTP receiver answering 204.
 * - embedded: a fresh SQLite file;
 * - services: BENCH_DATABASE_URL (+ IMGPIPE_DATABASE_PASSWORD), a scratch MySQL/PostgreSQL database that the
 *   bench RESETS (drops and recreates the tables) first. Skipped when unset.
 * Also reported: how fast alerts and their receiver rows are recorded (one transaction per alert).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { openCatalog } from '../src/adapters/open-backends.js'
import type { SqlCatalog } from '../src/adapters/sql/sql-catalog.js'
import { WebhookChannel, newWebhookSecret } from '../src/adapters/webhook/webhook-channel.js'
import { loadConfig } from '../src/config/load-config.js'
import { parseDatabaseUrl } from '../test/support/setting-parsers.js'
import { silentLogger } from '../src/core/logger.js'
import type { DeliveryChannel } from '../src/core/ports/delivery-channel.js'
import { DeliveryWorker } from '../src/stages/alert/delivery-worker.js'

const alerts = Number(process.env['BENCH_ALERTS'] ?? 1000)
const subscriptionCount = Number(process.env['BENCH_SUBSCRIPTIONS'] ?? 10)
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 32)

async function receiver(): Promise<{ url: string; received: () => number; close: () => Promise<void> }> {
  let received = 0
  const server = http.createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      received += 1
      response.writeHead(204).end()
    })
  })
  server.keepAliveTimeout = 1
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

async function seed(catalog: SqlCatalog): Promise<number[]> {
  const events: number[] = []
  for (let index = 1; index <= alerts; index += 1) {
    const [image] = await catalog.insertImages([
      {
        stream: `bench-${index % 8}`,
        imageNum: index,
        imageFilename: `image_${index}.png`,
        imageObjectKey: `image/bench/image_${index}.png`,
        contentSha256: null,
        byteSize: 1,
        width: 1,
        height: 1,
        format: 'png',
        status: 'received',
      },
    ])
    const [outcome] = await catalog.recordAnalyses([
      {
        imageId: image!.imageId,
        result: { previousImageId: null, l2Norm: 1, changedFraction: 0.5, maxAbsDifference: 200, analyzedAt: new Date() },
        event: {
          imageId: image!.imageId,
          differenceImageObjectKey: `difference_image/bench/${index}.png`,
          eventType: 'changed',
          analyzer: 'bench',
          analyzerVersion: '1',
        },
      },
    ])
    events.push(outcome!.event!.imageEventId)
  }
  return events
}

async function run(name: string, catalog: SqlCatalog): Promise<Record<string, unknown>> {
  const target = await receiver()
  try {
    const events = await seed(catalog)
    const { subscriptions } = catalog
    const owner = await subscriptions.addSubscriber({ name: 'bench', contact: null })
    const secret = newWebhookSecret()
    for (let index = 0; index < subscriptionCount; index += 1) {
      await subscriptions.addSubscription({
        subscriberId: owner.subscriberId,
        name: `bench-${index}`,
        channel: 'webhook',
        target: `${target.url}/${index}`,
        secret,
        filter: {},
      })
    }
    const recordStart = process.hrtime.bigint()
    // One alert per call, as the alert stage recorded them before it batched: what this bench has always timed.
    for (const eventId of events) await subscriptions.recordAlerts([{ imageEventId: eventId, wants: () => true }], new Date())
    const recordSeconds = Number(process.hrtime.bigint() - recordStart) / 1e9
    const channels = new Map<string, DeliveryChannel>([
      ['webhook', new WebhookChannel({ allowPrivate: true, resolveSecret: (ref) => ref })],
    ])
    const worker = new DeliveryWorker(
      catalog,
      subscriptions,
      channels,
      { ...loadConfig({}).delivery, concurrency, pollMs: 20 },
      silentLogger,
    )
    const start = process.hrtime.bigint()
    worker.start()
    while ((await subscriptions.countOpen()) > 0) await new Promise((resolve) => setTimeout(resolve, 50))
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    await worker.stop()
    const deliveries = alerts * subscriptionCount
    return {
      backend: name,
      alerts,
      subscriptions: subscriptionCount,
      deliveries,
      received: target.received(),
      deliveriesPerSecond: Math.round(deliveries / seconds),
      alertsRecordedPerSecond: Math.round(alerts / recordSeconds),
      concurrency,
      seconds: Math.round(seconds * 100) / 100,
    }
  } finally {
    await target.close()
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imgpipe-delivery-bench-'))
  try {
    const embedded = (await openCatalog({ kind: 'sqlite', path: path.join(dir, 'bench.db') })) as SqlCatalog
    await embedded.migrate()
    console.log(JSON.stringify(await run('sqlite', embedded)))
    await embedded.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  const url = process.env['BENCH_DATABASE_URL']
  if (url === undefined || url === '') {
    console.error('services: skipped (set BENCH_DATABASE_URL to a scratch MySQL/PostgreSQL database; it is reset)')
    return
  }
  const password = process.env['IMGPIPE_DATABASE_PASSWORD']
  const config = parseDatabaseUrl(url, process.cwd(), process.env, password === '' ? undefined : password)
  const server = (await openCatalog(config)) as SqlCatalog
  try {
    await server.reset()
    console.log(JSON.stringify(await run(config.kind, server)))
  } finally {
    await server.close()
  }
}

await main()
