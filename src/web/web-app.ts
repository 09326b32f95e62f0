import swagger from '@fastify/swagger'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import { describeError } from '../core/errors.js'
import { silentLogger, type Logger } from '../core/logger.js'
import type { CatalogReports } from '../core/ports/catalog-reports.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import type { AlertView } from '../core/types.js'
import type { Registry } from 'prom-client'
import { AlertFeed } from './alert-events.js'
import { ConnectionDrain } from './connection-drain.js'
import { registerApiRoutes, type WebCatalog } from './api-routes.js'
import { FAVICON_SVG, VIEWER_JS } from './assets/web-assets.js'
import { registerListRoutes } from './list-routes.js'
import { registerObjectRoutes } from './object-routes.js'
import { registerPictureRoutes } from './picture-routes.js'
import { registerWebMetrics } from './web-metrics.js'
import { registerScienceRoutes } from './science-routes.js'
import { isFitsImage } from './fits-images.js'
import { loadAlertScience, type WebScience } from './web-science.js'
import { clientErrorHandler, registerWebGuard } from './web-guard.js'
import type { AlertListOptions } from './render-alert-list.js'
import { renderViewerPage, type ViewerContent } from './render-page.js'
import { deliveryStatuses } from './render-deliveries.js'
import { HOME_STREAMS, SPARKLINE_IMAGES } from './render-streams.js'
import { DEFAULT_PAGE_SIZE, parseAlertNumber, parseOptionalId } from './web-params.js'
import { ASSET_VERSIONS, IMMUTABLE, isUnavailable, SECURITY_HEADERS, sendError, STYLESHEET } from './web-responses.js'

/** The JSON API's version in its OpenAPI document: changes when a response loses or changes a field. */
const API_VERSION = '1.0.0'

export interface WebAppOptions {
  catalog: WebCatalog
  store: ObjectStore
  /** Request errors and the event stream's outages are logged here; silent by default. */
  logger?: Logger
  /** How often `/events` asks the catalog for new alerts while pages listen (ms, default 1000). */
  pollIntervalMs?: number
  /** Interval of the keep-alive comments on `/events` (ms, default 15000). */
  heartbeatMs?: number
  /** Host names answered besides localhost ones (`*`: any); others get 421. */
  allowedHosts?: readonly string[]
  /** When set, every route but `/health` asks for this token (HTTP Basic password or Bearer). */
  token?: string
  /**
   * A prom-client registry: the app adds its HTTP series to it and serves all of it at `/metrics`
   * (no `/metrics` without one).
   */
  metrics?: Registry
  /** Bounds on connections, event streams and time; see {@link DEFAULT_WEB_LIMITS}. */
  limits?: Partial<WebLimits>
  /**
   * Difference imaging's ledgers: with them an alert page shows its detections, stamps and circles, and the field,
   * reference, derivative and object routes exist. Without them the viewer is what it was for cameras.
   */
  science?: WebScience
}

export interface WebLimits {
  /** Open TCP connections; more are dropped at once by Node. */
  maxConnections: number
  /** Open `/events` streams in all, and per client address; more get 503. */
  maxEventStreams: number
  maxEventStreamsPerClient: number
  /** Time to receive a request's headers, and the whole request. */
  headersTimeoutMs: number
  requestTimeoutMs: number
  /** A connection with no bytes moving either way for this long is closed (a stalled download, a silent client). */
  idleTimeoutMs: number
}

/** Event streams send a comment every 15 s, so they stay well within the idle timeout. */
export const DEFAULT_WEB_LIMITS: WebLimits = {
  maxConnections: 256,
  maxEventStreams: 100,
  maxEventStreamsPerClient: 8,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
}

/**
 * The image event viewer: the page at `/`, the images at `/images/:imageId` and
 * `/difference/:imageEventId`, an image's page at `/images/:imageId/view` (a FITS image's zscale preview at
 * `…/preview`, its pixel readout at `…/pixel`), thumbnails at `/thumbnails/:imageId`, every stream at `/streams` and a page per
 * stream at `/streams/:stream`, every alert at `/alerts`,
 * the JSON API under `/api/` (its OpenAPI document at `/api/openapi.json`), `/health`, `/metrics` when given
 * a registry, and live alerts on `/events`. Host names, an optional token, connections, event streams and
 * request time are bounded (see {@link WebAppOptions}).
 * The catalog and the store stay the caller's: `app.close()` ends the event streams but closes neither.
 */
export async function buildWebApp(options: WebAppOptions): Promise<FastifyInstance> {
  const { catalog, store } = options
  const logger = options.logger ?? silentLogger
  const limits = { ...DEFAULT_WEB_LIMITS, ...options.limits }
  // The cast only widens pino's Logger to Fastify's base logger type, which it implements.
  const app = Fastify({
    loggerInstance: logger,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    // Node enforces the two timeouts on this tick (30 s by default), so short ones are checked more often.
    http: { connectionsCheckingInterval: Math.max(100, Math.min(30_000, limits.headersTimeoutMs / 2)) },
    // Node's own answers to malformed requests, with the security headers.
    clientErrorHandler,
    // Fastify's per-request lines at info would drown the log; the onResponse hook below logs at debug.
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance
  const feed = new AlertFeed({
    catalog,
    logger,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'imgpipe viewer API', version: API_VERSION, description: 'Image event alerts of the imgpipe catalog, read-only.' },
    },
    // Components named by their $id (Alert, Error) rather than def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    // Only the JSON API is documented; pages, images and the event stream are for the browser.
    transform: ({ schema, url }) => ({ schema: (url.startsWith('/api/') ? schema : { ...schema, hide: true }) as typeof schema, url }),
  })
  app.server.maxConnections = limits.maxConnections
  app.server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs)
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS)
  })
  registerWebGuard(app, {
    ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
    ...(options.token === undefined ? {} : { token: options.token }),
  })
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode }, 'request')
  })
  if (options.metrics !== undefined) registerWebMetrics(app, options.metrics, () => feed.clientCount)
  const drain = new ConnectionDrain(app.server)
  // Open event streams would otherwise keep `close()` waiting for requests that never finish, and spare
  // connections that never sent a request would keep it waiting for the client.
  app.addHook('preClose', async () => {
    feed.close()
    drain.drain()
  })

  app.setNotFoundHandler((request, reply) => sendError(request, reply, 404, 'there is no such page here'))
  app.setErrorHandler((error, request, reply) => {
    const statusCode = (error as { statusCode?: unknown }).statusCode
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      return sendError(request, reply, statusCode, describeError(error))
    }
    if (isUnavailable(error)) {
      request.log.warn({ err: error, url: request.url }, 'web request failed: a backend is unavailable')
      return sendError(request, reply, 503, `temporarily unavailable: ${describeError(error)}`)
    }
    request.log.error({ err: error, url: request.url }, 'web request failed')
    return sendError(request, reply, 500, 'internal error (logged on the server)')
  })

  app.get<{ Querystring: { alert_num?: unknown; before?: unknown } }>('/', async (request, reply) => {
    const input = parseAlertNumber(request.query.alert_num)
    // An unusable `before` from a hand-edited link shows the newest page rather than an error.
    const before = parseOptionalId(request.query.before) ?? undefined
    const current = input.kind === 'valid' ? input.number : null
    let list: AlertListOptions | null = null
    let content: ViewerContent
    try {
      list = await listPage(catalog, before, current)
      content = await contentFor(catalog, input, options.science)
    } catch (error) {
      if (!isUnavailable(error)) throw error
      request.log.warn({ err: error }, 'viewer page: catalog unavailable')
      content = { kind: 'unavailable', reason: describeError(error) }
    }
    const statusCode = { intro: 200, alert: 200, invalid: 400, unknown: 404, unavailable: 503 }[content.kind]
    return reply
      .code(statusCode)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(renderViewerPage({ content, list, assets: ASSET_VERSIONS }).toString())
  })

  registerAsset(app, '/assets/viewer.css', 'text/css; charset=utf-8', STYLESHEET, ASSET_VERSIONS.css)
  registerAsset(app, '/assets/viewer.js', 'text/javascript; charset=utf-8', VIEWER_JS, ASSET_VERSIONS.js)
  registerAsset(app, '/assets/favicon.svg', 'image/svg+xml', FAVICON_SVG, ASSET_VERSIONS.icon)

  const streamsPerClient = new Map<string, number>()
  // No automatic HEAD route: it would open a stream only to throw its body away.
  app.get<{ Querystring: { after?: string } }>('/events', { exposeHeadRoute: false }, async (request, reply) => {
    // A reconnecting EventSource says where it stopped; a first connection says what its page shows.
    const lastEventId = request.headers['last-event-id']
    const raw = typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : request.query.after
    let after: number | undefined
    if (raw !== undefined && raw !== '') {
      if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
        return sendError(request, reply, 400, 'after must be an alert number (a whole number of 0 or more)')
      }
      after = Number(raw)
    }
    const client = request.ip
    const mine = streamsPerClient.get(client) ?? 0
    if (feed.clientCount >= limits.maxEventStreams || mine >= limits.maxEventStreamsPerClient) {
      reply.header('retry-after', '30')
      return sendError(request, reply, 503, 'too many live alert streams are open; try again later')
    }
    streamsPerClient.set(client, mine + 1)
    let stream: Awaited<ReturnType<AlertFeed['open']>>
    try {
      stream = await feed.open(after)
    } catch (error) {
      release(streamsPerClient, client)
      throw error
    }
    stream.once('close', () => release(streamsPerClient, client))
    return (
      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        // nginx buffers proxied responses unless told not to, which would hold events back.
        .header('x-accel-buffering', 'no')
        .send(stream)
    )
  })

  registerObjectRoutes(app, { catalog, store })
  const fits = registerPictureRoutes(app, { catalog, store, fieldPages: options.science !== undefined })
  if (options.science !== undefined) registerScienceRoutes(app, { catalog, store, fits, science: options.science })
  registerListRoutes(app, { catalog })
  registerApiRoutes(app, { catalog })
  await app.ready()
  return app
}

function release(counts: Map<string, number>, client: string): void {
  const left = (counts.get(client) ?? 1) - 1
  if (left <= 0) counts.delete(client)
  else counts.set(client, left)
}

function registerAsset(app: FastifyInstance, path: string, type: string, body: string, version: string): void {
  app.get<{ Querystring: { v?: string } }>(path, async (request, reply) => {
    // The page links `?v=<hash of this content>`, so such a URL can be cached for good.
    const cache = request.query.v === version ? IMMUTABLE : 'no-cache'
    reply.header('cache-control', cache).header('etag', `"${version}"`)
    if (request.headers['if-none-match'] === `"${version}"`) return reply.code(304).send()
    return reply.type(type).send(body)
  })
}

/** One page of the recent-alerts list, plus whether an older page exists. */
async function listPage(catalog: CatalogReports, before: number | undefined, current: number | null): Promise<AlertListOptions> {
  const limit = DEFAULT_PAGE_SIZE
  const views: AlertView[] = await catalog.listAlertViews(
    before === undefined ? { limit: limit + 1 } : { limit: limit + 1, beforeId: before },
  )
  return {
    views: views.slice(0, limit),
    before,
    hasOlder: views.length > limit,
    current,
    alertNum: current === null ? null : String(current),
  }
}

async function contentFor(
  catalog: WebCatalog,
  input: ReturnType<typeof parseAlertNumber>,
  science: WebScience | undefined,
): Promise<ViewerContent> {
  switch (input.kind) {
    case 'absent': {
      const streams = await catalog.listStreamSummaries({ limit: HOME_STREAMS + 1, recentImages: SPARKLINE_IMAGES })
      return { kind: 'intro', streams: streams.slice(0, HOME_STREAMS), hasMoreStreams: streams.length > HOME_STREAMS }
    }
    case 'invalid':
      return { kind: 'invalid', text: input.text, reason: input.reason }
    case 'valid': {
      const view = await catalog.getAlertView(input.number)
      if (view === null) return { kind: 'unknown', number: input.number }
      const [deliveries, found] = await Promise.all([
        deliveryStatuses(catalog, input.number),
        // Difference imaging runs on FITS images only: a camera's alert costs no further queries.
        science === undefined || !isFitsImage(view.image) ? undefined : loadAlertScience(science, view),
      ])
      return { kind: 'alert', view, deliveries, ...(found === undefined ? {} : { science: found }) }
    }
  }
}
