import type { FastifyInstance } from 'fastify'
import { describeError } from '../core/errors.js'
import type { Catalog } from '../core/ports/catalog.js'
import { alertJson } from './alert-json.js'
import { apiSchemaErrorFormatter, GET_ALERT_SCHEMA, LIST_ALERTS_SCHEMA, SHARED_SCHEMAS } from './api-schemas.js'
import { MAX_PAGE_SIZE, parseLimit, parseOptionalId, parsePositiveId } from './web-params.js'
import { sendError } from './web-responses.js'

/**
 * The JSON API and the health check. Links in the bodies are relative to the URL that returned them
 * (`next` from `/api/alerts` is `alerts?limit=…&before=…`, image links from `/api/alerts/3` start with
 * `../../`), so they resolve correctly behind any proxy, as a browser resolves them.
 */
export function registerApiRoutes(app: FastifyInstance, deps: { catalog: Catalog }): void {
  const { catalog } = deps

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema)
  const options = { schemaErrorFormatter: apiSchemaErrorFormatter }

  app.get<{ Querystring: { limit?: string; before?: string } }>(
    '/api/alerts',
    { ...options, schema: LIST_ALERTS_SCHEMA },
    async (request, reply) => {
      // The schema checked the form; these only turn the digits into numbers (and 17 digits of zeros into an error).
      const limit = parseLimit(request.query.limit)
      if (limit === null)
        return sendError(request, reply, 400, `limit must be a whole number from 1 (at most ${MAX_PAGE_SIZE} are returned)`)
      const before = parseOptionalId(request.query.before)
      if (before === null) return sendError(request, reply, 400, 'before must be an alert number (a whole number of 1 or more)')
      // One more than asked tells whether an older page exists without a second query.
      const views = await catalog.listAlertViews(before === undefined ? { limit: limit + 1 } : { limit: limit + 1, beforeId: before })
      const page = views.slice(0, limit)
      const last = page.at(-1)?.alert.imageEventAlertId
      const nextBefore = views.length > limit && last !== undefined ? last : null
      return reply.header('cache-control', 'no-store').send({
        alerts: page.map((view) => alertJson(view, '../')),
        limit,
        nextBefore,
        next: nextBefore === null ? null : `alerts?limit=${limit}&before=${nextBefore}`,
      })
    },
  )

  app.get<{ Params: { number: string } }>('/api/alerts/:number', { ...options, schema: GET_ALERT_SCHEMA }, async (request, reply) => {
    const number = parsePositiveId(request.params.number)
    if (number === null) return sendError(request, reply, 400, 'an alert number is a whole number of 1 or more')
    const view = await catalog.getAlertView(number)
    if (view === null) return sendError(request, reply, 404, `no image event for alert ${number}`)
    // An alert and its event and images never change once recorded, except for the delivery time.
    return reply.header('cache-control', 'no-cache').send(alertJson(view, '../../'))
  })

  // The document of the routes above, made by @fastify/swagger from their schemas (registered in web-app.ts).
  app.get('/api/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    return reply.header('cache-control', 'no-cache').send(app.swagger())
  })

  app.get('/health', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    try {
      await catalog.ping()
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', reason: `catalog: ${describeError(error)}` })
    }
    return reply.send({ status: 'ok' })
  })
}
