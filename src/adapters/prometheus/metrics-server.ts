/**
 * A small HTTP server for a stage process: `/metrics` (Prometheus text format), `/health` (liveness: the
 * process answers) and `/ready` (readiness: every dependency answers within a time limit). Node's own http
 * server: a scrape endpoint needs no framework, and it stays bounded in connections and time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describeError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import type { PrometheusMetrics } from './prometheus-metrics.js'

export interface MetricsServerOptions {
  host: string
  /** 0 for a free port. */
  port: number
  metrics: PrometheusMetrics
  /** Named dependency checks for `/ready`, e.g. database, store, broker; each resolves when it answers. */
  readiness: Readonly<Record<string, () => Promise<void>>>
  logger: Logger
  /** Time limit of each readiness check and of a scrape's collectors. */
  checkTimeoutMs?: number
}

export interface MetricsServer {
  /** `http://host:port` it listens on. */
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

/** Scrapers and probes are few: a handful of connections is plenty, more is a flood. */
const MAX_CONNECTIONS = 32

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const timeoutMs = options.checkTimeoutMs ?? 3_000
  const server = createServer((request, response) => {
    handle(request, response, options, timeoutMs).catch((error: unknown) => {
      options.logger.warn({ err: error }, 'metrics endpoint: request failed')
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n')
      else response.destroy()
    })
  })
  server.maxConnections = MAX_CONNECTIONS
  server.headersTimeout = 5_000
  server.requestTimeout = 10_000
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function handle(request: IncomingMessage, response: ServerResponse, options: MetricsServerOptions, timeoutMs: number): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD')
    send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n')
    return
  }
  if (path === '/metrics') {
    const { contentType, body, failures } = await withTimeout(options.metrics.scrape(), timeoutMs * 2, 'scrape')
    for (const failure of failures) options.logger.warn({ err: describeError(failure) }, 'metrics endpoint: a collector failed')
    send(response, 200, contentType, body)
    return
  }
  if (path === '/health') {
    send(response, 200, 'application/json', '{"status":"ok"}\n')
    return
  }
  if (path === '/ready') {
    const entries = Object.entries(options.readiness)
    const results = await Promise.allSettled(entries.map(([name, check]) => withTimeout(check(), timeoutMs, name)))
    const checks: Record<string, string> = {}
    results.forEach((result, index) => {
      checks[entries[index]![0]] = result.status === 'fulfilled' ? 'ok' : describeError(result.reason)
    })
    const ready = results.every((result) => result.status === 'fulfilled')
    send(response, ready ? 200 : 503, 'application/json', `${JSON.stringify({ status: ready ? 'ready' : 'not ready', checks })}\n`)
    return
  }
  send(response, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /health or /ready\n')
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  })
  response.end(response.req.method === 'HEAD' ? undefined : body)
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
