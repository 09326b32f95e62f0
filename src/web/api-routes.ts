import type { FastifyInstance } from 'fastify'
import { describeError } from '../core/errors.js'
import type { CatalogAdmin } from '../core/ports/catalog-admin.js'
import type { CatalogReports } from '../core/ports/catalog-reports.js'
import type { AlertView, ImageObservation, ImageRecord } from '../core/types.js'
import { alertJson, type AlertJson } from './alert-json.js'
import { apiSchemaErrorFormatter, GET_ALERT_SCHEMA, GET_IMAGE_HEADER_SCHEMA, LIST_ALERTS_SCHEMA, SHARED_SCHEMAS } from './api-schemas.js'
import { deliveryStatuses, type DeliveryStatusSource } from './render-deliveries.js'
import { MAX_PAGE_SIZE, parseLimit, parseOptionalId, parsePositiveId } from './web-params.js'
import { sendError } from './web-responses.js'

/** What the viewer reads of the catalog: its reports, the receivers of an alert, and a ping for `/api/health`. */
export type WebCatalog = CatalogReports & Pick<CatalogAdmin, 'ping'> & DeliveryStatusSource

/**
 * The JSON API and the health check. Links in the bodies are relative to the URL that returned them
 * (`next` from `/api/alerts` is `alerts?limit=…&before=…`, image links from `/api/alerts/3` start with
 * `../../`), so they resolve correctly behind any proxy, as a browser resolves them.
 */
export function registerApiRoutes(app: FastifyInstance, deps: { catalog: WebCatalog }): void {
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
        alerts: page.map((view) => apiAlert(view, '../')),
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
    return reply
      .header('cache-control', 'no-cache')
      .send({ ...apiAlert(view, '../../'), deliveries: await deliveryStatuses(catalog, number) })
  })

  app.get<{ Params: { imageId: string } }>(
    '/api/images/:imageId/header',
    { ...options, schema: GET_IMAGE_HEADER_SCHEMA },
    async (request, reply) => {
      const imageId = parsePositiveId(request.params.imageId)
      if (imageId === null) return sendError(request, reply, 400, 'an image id is a whole number of 1 or more')
      const image = await catalog.getImage(imageId)
      if (image === null) return sendError(request, reply, 404, `no image ${imageId}`)
      if (image.observation === null) return sendError(request, reply, 404, `image ${imageId} is no FITS image: it has no header`)
      // A stored header never changes.
      return reply.header('cache-control', 'no-cache').type('text/plain; charset=utf-8').send(`${image.observation.header}\n`)
    },
  )

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

/** An observation as the API gives it: the header's card count and link instead of its text. */
export type ObservationJson = Omit<ImageObservation, 'header'> & { headerCards: number; headerUrl: string }

export type ImageJson = Omit<ImageRecord, 'observation'> & { observation: ObservationJson | null }

/**
 * A header is thousands of characters (up to megabytes) and an alert carries two images: the API lists the
 * observation's fields and links the header (`/api/images/{id}/header`) instead of repeating it in every alert.
 */
function imageJson(image: ImageRecord, base: string): ImageJson {
  if (image.observation === null) return { ...image, observation: null }
  const { header, ...fields } = image.observation
  const headerCards = header === '' ? 0 : header.split('\n').length
  return { ...image, observation: { ...fields, headerCards, headerUrl: `${base}api/images/${image.imageId}/header` } }
}

export function apiAlert(
  view: AlertView,
  base: string,
): Omit<AlertJson, 'image' | 'previousImage'> & { image: ImageJson; previousImage: ImageJson | null } {
  const json = alertJson(view, base)
  return {
    ...json,
    image: imageJson(json.image, base),
    previousImage: json.previousImage === null ? null : imageJson(json.previousImage, base),
  }
}
