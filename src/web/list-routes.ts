import type { FastifyInstance } from 'fastify'
import type { CatalogReports } from '../core/ports/catalog-reports.js'
import { parseListQuery } from './list-params.js'
import { ALERTS_PAGE_SIZE, renderAlertsPage } from './render-alerts-page.js'
import { renderStreamsPage, SPARKLINE_IMAGES, STREAMS_PAGE_SIZE } from './render-streams.js'
import { ASSET_VERSIONS } from './web-responses.js'

/**
 * `GET /streams` (every stream with its counts and a sparkline) and `GET /alerts` (every alert), both paged
 * and filtered by stream and time range through the query. A query that does not parse gets the page with
 * the form as typed and the reason, with status 400; nothing of it reaches the catalog.
 */
export function registerListRoutes(app: FastifyInstance, deps: { catalog: CatalogReports }): void {
  const { catalog } = deps

  app.get<{ Querystring: Record<string, unknown> }>('/streams', async (request, reply) => {
    const parsed = parseListQuery(request.query, { streamMatch: 'prefix', cursor: 'after' })
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8')
    if (!parsed.ok) {
      return reply
        .code(400)
        .send(
          renderStreamsPage({ assets: ASSET_VERSIONS, form: parsed.form, error: parsed.reason, summaries: [], hasMore: false }).toString(),
        )
    }
    const { query } = parsed
    const rows = await catalog.listStreamSummaries({
      limit: STREAMS_PAGE_SIZE + 1,
      recentImages: SPARKLINE_IMAGES,
      ...(query.stream === undefined ? {} : { prefix: query.stream }),
      ...(query.after === undefined ? {} : { afterStream: query.after }),
      ...(query.since === undefined ? {} : { since: query.since }),
      ...(query.until === undefined ? {} : { until: query.until }),
    })
    const summaries = rows.slice(0, STREAMS_PAGE_SIZE)
    return reply.send(
      renderStreamsPage({
        assets: ASSET_VERSIONS,
        form: query.form,
        query,
        summaries,
        hasMore: rows.length > STREAMS_PAGE_SIZE,
      }).toString(),
    )
  })

  app.get<{ Querystring: Record<string, unknown> }>('/alerts', async (request, reply) => {
    const parsed = parseListQuery(request.query, { streamMatch: 'exact', cursor: 'before' })
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8')
    if (!parsed.ok) {
      return reply
        .code(400)
        .send(renderAlertsPage({ assets: ASSET_VERSIONS, form: parsed.form, error: parsed.reason, views: [], hasOlder: false }).toString())
    }
    const { query } = parsed
    const rows = await catalog.listAlertViews({
      limit: ALERTS_PAGE_SIZE + 1,
      ...(query.before === undefined ? {} : { beforeId: query.before }),
      ...(query.stream === undefined ? {} : { stream: query.stream }),
      ...(query.since === undefined ? {} : { since: query.since }),
      ...(query.until === undefined ? {} : { until: query.until }),
    })
    const views = rows.slice(0, ALERTS_PAGE_SIZE)
    return reply.send(
      renderAlertsPage({ assets: ASSET_VERSIONS, form: query.form, query, views, hasOlder: rows.length > ALERTS_PAGE_SIZE }).toString(),
    )
  })
}
