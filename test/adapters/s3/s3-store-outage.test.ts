/**
 * Issue 16, item 14: with S3Proxy stopped for 30 s under `receive`, Node printed `MaxListenersExceededWarning: … 11
 * abort listeners added to [AbortSignal]` outside the JSON log — each retry's sleep added a listener to the stage's
 * one long-lived signal. The outage here is a local HTTP server in front of the shared S3Proxy that answers 503
 * (S3's SlowDown) while "down" and forwards every request once "up": the shared S3Proxy is never stopped.
 */
import { getEventListeners } from 'node:events'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { S3ObjectStore } from '../../../src/adapters/s3/s3-object-store.js'
import type { S3ObjectStoreOptions } from '../../../src/adapters/s3/s3-options.js'
import { withRetry } from '../../../src/core/retry.js'
import { ReceiveStage } from '../../../src/stages/receive/receive-stage.js'
import { ensurePipelineTopics } from '../../../src/stages/run-pipeline.js'
import { memoryContext } from '../../support/memory-context.js'
import { deleteS3Prefix, s3TestUrl, uniqueS3Config } from '../../support/store-backends.js'

// A real collection before each heap reading (vitest's workers run without --expose-gc): garbage is not a leak.
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

const url = s3TestUrl()
if (url === null) throw new Error('IMGPIPE_TEST_S3_URL is not set: this test needs the S3 test server')

/** A switchable outage in front of the real S3 server: 503 SlowDown while down, a plain forwarder while up. */
class OutageProxy {
  down = true
  refused = 0
  private server: Server | undefined
  constructor(private readonly target: URL) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.down) {
      this.refused += 1
      req.resume()
      const body = '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>outage (test)</Message></Error>'
      res.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
      res.end(body)
      return
    }
    // The Host header is forwarded as signed: the server checks the signature against the header it receives.
    const upstream = request(
      { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers)
        reply.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }
}

const config: S3ObjectStoreOptions = uniqueS3Config(url, 'outage')
const proxy = new OutageProxy(new URL(config.endpoint!))
let flaky: S3ObjectStoreOptions
beforeAll(async () => {
  const direct = new S3ObjectStore(config)
  await direct.ensureReady()
  await direct.close()
  flaky = { ...config, endpoint: await proxy.start() }
})
afterAll(async () => {
  await proxy.stop()
  await deleteS3Prefix(config)
})

/** Node's warnings while `body` runs (MaxListenersExceededWarning goes through process 'warning'). */
async function collectingWarnings<T>(body: () => Promise<T>): Promise<{ result: T; warnings: Error[] }> {
  const warnings: Error[] = []
  const onWarning = (warning: Error): number => warnings.push(warning)
  process.on('warning', onWarning)
  try {
    const result = await body()
    await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on the next tick
    return { result, warnings }
  } finally {
    process.off('warning', onWarning)
  }
}

const listenerWarnings = (warnings: Error[]): string[] =>
  warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning').map((warning) => warning.message)

describe('S3 object store during an outage of many retry rounds', () => {
  it('retries 16 concurrent puts on one long-lived signal without a listener warning or growing memory, then stores them', async () => {
    const signal = new AbortController().signal
    const store = new S3ObjectStore(flaky)
    let mostAbortListeners = 0
    let attempts = 0
    // The stage's retry loop (withRetry on its signal, as `retrying` in stage-context.ts) with delays of a few ms,
    // so that an outage of many rounds takes seconds, not the 5 s backoff cap's minutes.
    const putRetrying = (key: string, bytes: Buffer): Promise<void> =>
      withRetry(
        async () => {
          attempts += 1
          mostAbortListeners = Math.max(mostAbortListeners, getEventListeners(signal, 'abort').length)
          await store.put(key, bytes)
        },
        { attempts: Number.POSITIVE_INFINITY, initialDelayMs: 1, maxDelayMs: 4, signal },
      )
    /** Holds the outage until the 16 puts have failed `rounds` times each (the SDK's own retries included). */
    const outage = async (rounds: number, name: string): Promise<Buffer[]> => {
      proxy.down = true
      const start = proxy.refused
      const bytes = Array.from({ length: 16 }, (_, i) => Buffer.from(`${name} object ${i}`))
      const puts = bytes.map((body, i) => putRetrying(`${name}/object_${i}.bin`, body))
      while (proxy.refused - start < rounds * 16) await new Promise((resolve) => setTimeout(resolve, 5))
      proxy.down = false
      await Promise.all(puts)
      return bytes
    }
    try {
      const { result, warnings } = await collectingWarnings(async () => {
        await outage(20, 'warm-up') // the heap's and the SDK's first growth (retry quota, sockets) is not the leak
        collectGarbage()
        const before = process.memoryUsage().heapUsed
        const attemptsBefore = attempts
        const stored = await outage(200, 'long')
        collectGarbage()
        return { stored, grown: process.memoryUsage().heapUsed - before, retries: attempts - attemptsBefore }
      })
      expect(listenerWarnings(warnings)).toEqual([])
      expect(mostAbortListeners).toBeLessThanOrEqual(1)
      expect(getEventListeners(signal, 'abort')).toHaveLength(0)
      // Over 3,500 refused requests: a listener, closure or socket kept per retry would show; a few MB is GC slack.
      expect(proxy.refused).toBeGreaterThanOrEqual(220 * 16)
      expect(result.retries).toBeGreaterThan(16 * 50)
      expect(result.grown).toBeLessThan(8 * 1024 * 1024)
      const direct = new S3ObjectStore(config)
      try {
        const read = await Promise.all(result.stored.map((_, i) => direct.get(`long/object_${i}.bin`)))
        expect(read.map((bytes) => bytes.toString())).toEqual(result.stored.map((bytes) => bytes.toString()))
      } finally {
        await direct.close()
      }
    } finally {
      await store.close()
    }
  })

  it('lets a receive window wait out the outage through the stage: every image received and stored, no warning', async () => {
    const context = await memoryContext()
    const store = new S3ObjectStore({ ...flaky, prefix: `${config.prefix}receive/` })
    const stageContext = { ...context, store }
    try {
      const teddy = await renderTeddyBear(32)
      const window = Array.from({ length: 24 }, (_, i) => {
        const bytes = Buffer.concat([teddy, Buffer.from([i])]) // distinct bytes: no duplicates
        return { stream: 'outage', imageNum: i + 1, filename: `image_${i + 1}.jpg`, bytes, byteSize: bytes.length }
      })
      await ensurePipelineTopics(stageContext, 1)
      proxy.down = true
      const refusedBefore = proxy.refused
      let mostAbortListeners = 0
      const watch = setInterval(() => {
        mostAbortListeners = Math.max(mostAbortListeners, getEventListeners(context.signal, 'abort').length)
      }, 10)
      // Down for 6 s: the stage's own backoff (100 ms doubling) makes that about six rounds of every put in flight.
      const recover = setTimeout(() => (proxy.down = false), 6_000)
      const { result: outcomes, warnings } = await collectingWarnings(async () => {
        try {
          return await new ReceiveStage(stageContext).receiveWindow(window)
        } finally {
          clearInterval(watch)
          clearTimeout(recover)
        }
      })
      expect(proxy.refused - refusedBefore).toBeGreaterThan(48)
      expect(listenerWarnings(warnings)).toEqual([])
      expect(mostAbortListeners).toBeLessThanOrEqual(1)
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(window.map(() => 'received'))
      const rows = await context.catalog.executeSql(
        "SELECT image_num, status FROM image_metadata WHERE stream = 'outage' ORDER BY image_num",
      )
      expect(rows).toEqual(window.map((_, i) => ({ image_num: i + 1, status: 'received' })))
      const stored = await Promise.all(outcomes.map((outcome) => store.get(outcome.image.imageObjectKey)))
      expect(stored.map((bytes, i) => Buffer.compare(bytes, window[i]!.bytes))).toEqual(window.map(() => 0))
    } finally {
      await store.close()
      await context.close()
    }
  })
})
