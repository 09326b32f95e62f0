import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { describeError, isImgpipeError } from '../core/errors.js'
import { isValidStreamName } from '../core/object-keys.js'
import type { CatalogReports } from '../core/ports/catalog-reports.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import type { ReferenceRecord } from '../core/ports/science-ledger.js'
import type { AlertView } from '../core/types.js'
import { isUnreadableFits, type FitsImages, type FitsSource, type LoadedFits } from './fits-images.js'
import { sendObject } from './object-routes.js'
import { renderFieldPage, type FieldDetection } from './render-field-page.js'
import { renderObjectPage } from './render-object-page.js'
import { parsePositiveId } from './web-params.js'
import { ASSET_VERSIONS, sendError, wantsDownload } from './web-responses.js'
import type { WebScience } from './web-science.js'

/** Alerts of a stream searched for a field's recent images: the newest ones, as the stream page charts. */
const FIELD_ALERTS_SEARCHED = 200
/** Recent alerted images of a field whose detections are marked on its reference. */
const FIELD_IMAGES_MARKED = 20
/** A field is header text (FIELD or OBJECT); a longer one is no field any image has. */
const MAX_FIELD_LENGTH = 200
const DERIVATIVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/**
 * Difference imaging's routes (issue 18): `GET /derivatives/:imageEventId/:name` (an image an analysis made for an
 * event — the difference, the noise map, stamps — and `…/preview`, a FITS derivative's zscale preview),
 * `GET /references/:referenceId/preview`, the field page `GET /fields/:stream/:field` and the object page
 * `GET /objects/:objectId`. As for images, an object is served only through the row that names it: the URL's name
 * is looked up among the event's derivative rows, never turned into a key.
 */
export function registerScienceRoutes(
  app: FastifyInstance,
  deps: { catalog: CatalogReports; store: ObjectStore; fits: FitsImages; science: WebScience },
): void {
  const { catalog, store, fits, science } = deps

  app.get<{ Params: { imageEventId: string; name: string }; Querystring: { download?: string } }>(
    '/derivatives/:imageEventId/:name',
    async (request, reply) => {
      const derivative = await derivativeOf(request, reply, science)
      if (derivative === null) return reply
      return sendObject(request, reply, store, {
        key: derivative.objectKey,
        contentSha256: null,
        what: `${derivative.name} of image event ${derivative.imageEventId}`,
        filename: derivative.name,
        download: wantsDownload(request.query.download),
      })
    },
  )

  app.get<{ Params: { imageEventId: string; name: string } }>('/derivatives/:imageEventId/:name/preview', async (request, reply) => {
    const derivative = await derivativeOf(request, reply, science)
    if (derivative === null) return reply
    if (!derivative.name.endsWith('.fits')) return sendError(request, reply, 404, `${derivative.name} is not a FITS image`)
    const what = `${derivative.name} of image event ${derivative.imageEventId}`
    return sendPreview(request, reply, fits, {
      key: derivative.objectKey,
      version: `derivative ${derivative.derivativeId}`,
      byteSize: null,
      what,
    })
  })

  app.get<{ Params: { referenceId: string } }>('/references/:referenceId/preview', async (request, reply) => {
    const referenceId = parsePositiveId(request.params.referenceId)
    if (referenceId === null) return sendError(request, reply, 400, 'a reference id is a whole number of 1 or more')
    const reference = await science.ledger.getReference(referenceId)
    if (reference === null || reference.objectKey === null) return sendError(request, reply, 404, `no stored reference ${referenceId}`)
    return sendPreview(request, reply, fits, referenceSource(reference))
  })

  app.get<{ Params: { stream: string; field: string } }>('/fields/:stream/:field', async (request, reply) => {
    const { stream, field } = request.params
    if (!isValidStreamName(stream)) return sendError(request, reply, 400, 'not a stream name')
    if (field === '' || field.length > MAX_FIELD_LENGTH) return sendError(request, reply, 400, 'not a field name')
    const [references, views] = await Promise.all([
      science.ledger.listReferences(stream),
      catalog.listAlertViews({ stream, limit: FIELD_ALERTS_SEARCHED }),
    ])
    const ofField = references.filter((reference) => reference.field === field)
    const recent = views.filter((view) => view.image.observation?.field === field).slice(0, FIELD_IMAGES_MARKED)
    if (ofField.length === 0 && recent.length === 0)
      return sendError(request, reply, 404, `no reference and no alert of field ${field} in stream ${stream}`)
    const latest = latestReady(ofField)
    const detections = await fieldDetections(science, recent)
    const loaded = latest === null ? null : await loadQuietly(request, fits, referenceSource(latest))
    return reply
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(
        renderFieldPage({
          stream,
          field,
          references: ofField,
          latest,
          reference: loaded,
          detections,
          assets: ASSET_VERSIONS,
          root: '../../',
        }).toString(),
      )
  })

  app.get<{ Params: { objectId: string } }>('/objects/:objectId', async (request, reply) => {
    const objectId = parsePositiveId(request.params.objectId)
    if (objectId === null) return sendError(request, reply, 400, 'an object id is a whole number of 1 or more')
    const object = (await science.detections.objects([objectId])).get(objectId)
    if (object === undefined) return sendError(request, reply, 404, `no object ${objectId}`)
    const history = await science.detections.history(objectId)
    return reply
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(renderObjectPage({ object, history, assets: ASSET_VERSIONS, root: '../' }).toString())
  })
}

async function derivativeOf(
  request: FastifyRequest<{ Params: { imageEventId: string; name: string } }>,
  reply: FastifyReply,
  science: WebScience,
): Promise<Awaited<ReturnType<WebScience['ledger']['listDerivatives']>>[number] | null> {
  const imageEventId = parsePositiveId(request.params.imageEventId)
  if (imageEventId === null) {
    sendError(request, reply, 400, 'an image event id is a whole number of 1 or more')
    return null
  }
  const { name } = request.params
  // Not a name any analysis makes: no row can hold it, and the answer need not echo it.
  const derivative = DERIVATIVE_NAME.test(name)
    ? (await science.ledger.listDerivatives(imageEventId)).find((row) => row.name === name)
    : undefined
  if (derivative === undefined) {
    sendError(request, reply, 404, `image event ${imageEventId} has no such derivative image`)
    return null
  }
  return derivative
}

function referenceSource(reference: ReferenceRecord): FitsSource {
  // The primary HDU is the reference image with its WCS; the NOISE extension is not previewed.
  return {
    key: reference.objectKey ?? '',
    version: `reference ${reference.referenceId}`,
    hdu: 0,
    byteSize: null,
    what: `reference ${reference.referenceId}`,
  }
}

/** The newest ready reference of a field (any filter): the one the next analyses use if it is their filter. */
function latestReady(references: readonly ReferenceRecord[]): ReferenceRecord | null {
  let latest: ReferenceRecord | null = null
  for (const reference of references) {
    if (reference.status !== 'ready' || reference.objectKey === null) continue
    if (
      latest === null ||
      reference.createdAt.getTime() > latest.createdAt.getTime() ||
      (reference.createdAt.getTime() === latest.createdAt.getTime() && reference.version > latest.version)
    )
      latest = reference
  }
  return latest
}

async function fieldDetections(science: WebScience, views: readonly AlertView[]): Promise<FieldDetection[]> {
  const byEvent = await science.detections.detectionsOfEvents(views.map((view) => view.event.imageEventId))
  return views.flatMap((view) =>
    (byEvent.get(view.event.imageEventId) ?? []).map((detection) => ({
      detection,
      alertNumber: view.alert.imageEventAlertId,
      image: view.image,
    })),
  )
}

async function sendPreview(request: FastifyRequest, reply: FastifyReply, fits: FitsImages, source: FitsSource): Promise<FastifyReply> {
  let loaded: LoadedFits | 'busy'
  try {
    loaded = await fits.loadObject(source)
  } catch (error) {
    if (isImgpipeError(error, 'IMGPIPE_OBJECT_NOT_FOUND', 'IMGPIPE_OBJECT_KEY_INVALID')) {
      return sendError(request, reply, 404, `${source.what} is missing from the object store`)
    }
    if (isUnreadableFits(error)) {
      request.log.warn({ what: source.what, reason: describeError(error) }, 'FITS object cannot be shown')
      return sendError(request, reply, 422, `${source.what} cannot be shown: ${describeError(error)}`)
    }
    throw error
  }
  if (loaded === 'busy') {
    reply.header('retry-after', '2')
    return sendError(request, reply, 503, 'the server is busy rendering other FITS images; try again in a moment')
  }
  return reply
    .header('cache-control', 'no-cache')
    .header('x-fits-preview', `factor=${loaded.preview.factor}; vmin=${loaded.preview.vmin}; vmax=${loaded.preview.vmax}; stretch=asinh`)
    .type('image/png')
    .send(loaded.png)
}

/** The field page still shows its lists when the reference cannot be read (its preview then says why). */
async function loadQuietly(request: FastifyRequest, fits: FitsImages, source: FitsSource): Promise<LoadedFits | null> {
  try {
    const loaded = await fits.loadObject(source)
    return loaded === 'busy' ? null : loaded
  } catch (error) {
    if (isImgpipeError(error, 'IMGPIPE_OBJECT_NOT_FOUND', 'IMGPIPE_OBJECT_KEY_INVALID') || isUnreadableFits(error)) {
      request.log.warn({ what: source.what, reason: describeError(error) }, 'field page: the reference cannot be read')
      return null
    }
    throw error
  }
}
