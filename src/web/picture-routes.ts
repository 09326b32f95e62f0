import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { describeError, isImgpipeError } from '../core/errors.js'
import { isValidStreamName } from '../core/object-keys.js'
import type { CatalogReports } from '../core/ports/catalog-reports.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import { FitsImages, isUnreadableFits } from './fits-images.js'
import { registerFitsRoutes } from './fits-routes.js'
import { renderStreamPage } from './render-stream.js'
import { Thumbnails } from './thumbnails.js'
import { parsePositiveId } from './web-params.js'
import { ASSET_VERSIONS, sendError } from './web-responses.js'

/** Images the stream page charts: the newest ones, enough for a night at one a minute. */
export const STREAM_PAGE_POINTS = 720

/**
 * `GET /thumbnails/:imageId` (a small JPEG of the image, made once and kept in the store) and
 * `GET /streams/:stream` (the stream's page). Like the image routes, a thumbnail is found through the
 * image row the id names, never through a key from the URL.
 */
export function registerPictureRoutes(
  app: FastifyInstance,
  deps: { catalog: CatalogReports; store: ObjectStore; fieldPages?: boolean },
): FitsImages {
  const { catalog } = deps
  let warned = false
  const fits = new FitsImages(deps.store)
  app.addHook('onClose', async () => fits.close())
  const thumbnails = new Thumbnails(
    deps.store,
    (error) => {
      // Once per process: a read-only store would otherwise log a line per thumbnail shown.
      if (!warned) app.log.warn({ err: error }, 'thumbnails cannot be kept in the object store; they are made on every request')
      warned = true
    },
    fits,
  )
  registerFitsRoutes(app, { catalog, fits, fieldPages: deps.fieldPages === true })

  app.get<{ Params: { imageId: string } }>('/thumbnails/:imageId', async (request, reply) => {
    const imageId = parsePositiveId(request.params.imageId)
    if (imageId === null) return sendError(request, reply, 400, 'an image id is a whole number of 1 or more')
    const image = await catalog.getImage(imageId)
    if (image === null) return sendError(request, reply, 404, `no image ${imageId}`)
    const etag = `"${createHash('sha256')
      .update(`${image.imageObjectKey}\n${image.contentSha256 ?? ''}`)
      .digest('base64url')
      .slice(0, 27)}"`
    reply.header('cache-control', 'no-cache').header('etag', etag)
    if (image.contentSha256 !== null && request.headers['if-none-match'] === etag) return reply.code(304).send()
    let bytes: Buffer
    try {
      bytes = await thumbnails.get(image)
    } catch (error) {
      if (isImgpipeError(error) && (error.code === 'IMGPIPE_OBJECT_NOT_FOUND' || error.code === 'IMGPIPE_OBJECT_KEY_INVALID')) {
        return sendError(request, reply, 404, `image ${imageId} is missing from the object store`)
      }
      if (isUnreadableFits(error)) {
        request.log.warn({ imageId, reason: describeError(error) }, 'thumbnail: the FITS image cannot be read')
        return sendError(request, reply, 404, `image ${imageId} cannot be shown as a thumbnail`)
      }
      if (isImgpipeError(error)) throw error
      // sharp could not decode the object: a corrupt image has no thumbnail, and the page shows none.
      request.log.warn({ err: error, imageId }, 'thumbnail: the image could not be decoded')
      return sendError(request, reply, 404, `image ${imageId} cannot be shown as a thumbnail`)
    }
    return reply.type('image/jpeg').send(bytes)
  })

  app.get<{ Params: { stream: string } }>('/streams/:stream', async (request, reply) => {
    const { stream } = request.params
    if (!isValidStreamName(stream)) return sendError(request, reply, 400, 'not a stream name')
    const now = new Date()
    const activity = await catalog.streamActivity(stream, { limit: STREAM_PAGE_POINTS, since: new Date(now.getTime() - 3_600_000) })
    if (activity.points.length === 0) return sendError(request, reply, 404, `no images in stream ${stream}`)
    return reply
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(renderStreamPage({ activity, now, assets: ASSET_VERSIONS, root: '../' }).toString())
  })
  return fits
}
