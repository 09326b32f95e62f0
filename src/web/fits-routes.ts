import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { describeError, isImgpipeError } from '../core/errors.js'
import type { CatalogReports } from '../core/ports/catalog-reports.js'
import type { ImageRecord } from '../core/types.js'
import { FitsImages, isFitsImage, isUnreadableFits, type LoadedFits } from './fits-images.js'
import { renderImagePage } from './render-image-page.js'
import { formatDecDms, formatDegrees, formatRaHms } from './sky-text.js'
import { parsePositiveId } from './web-params.js'
import { ASSET_VERSIONS, sendError } from './web-responses.js'

/**
 * The science-image routes: `GET /images/:imageId/view` (the image's page: preview, cursor readout, observation,
 * header), `GET /images/:imageId/preview` (a FITS image's zscale + asinh preview, PNG) and
 * `GET /images/:imageId/pixel?x=&y=` (the value and sky position of one FITS pixel, JSON, for the readout).
 * As everywhere in the viewer, the object is found through the row the id names, never through the URL.
 */
export function registerFitsRoutes(
  app: FastifyInstance,
  deps: { catalog: CatalogReports; fits: FitsImages; /** Link an image to its field's page (difference imaging). */ fieldPages: boolean },
): void {
  const { catalog, fits } = deps

  app.get<{ Params: { imageId: string } }>('/images/:imageId/view', async (request, reply) => {
    const image = await imageOf(request, reply, catalog)
    if (image === null) return reply
    return reply
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(renderImagePage({ image, assets: ASSET_VERSIONS, root: '../../', fieldPages: deps.fieldPages }).toString())
  })

  app.get<{ Params: { imageId: string } }>('/images/:imageId/preview', async (request, reply) => {
    const image = await imageOf(request, reply, catalog)
    if (image === null) return reply
    if (!isFitsImage(image))
      return sendError(request, reply, 404, `image ${image.imageId} is a picture, not a FITS image: see images/${image.imageId}`)
    const etag = `"${createHash('sha256')
      .update(`preview 1\n${image.imageObjectKey}\n${image.contentSha256 ?? ''}\n${image.observation?.hdu ?? ''}`)
      .digest('base64url')
      .slice(0, 27)}"`
    reply.header('cache-control', 'no-cache').header('etag', etag)
    if (image.contentSha256 !== null && request.headers['if-none-match'] === etag) return reply.code(304).send()
    const loaded = await loadOrAnswer(request, reply, fits, image)
    if (loaded === null) return reply
    return reply
      .header('x-fits-preview', `factor=${loaded.preview.factor}; vmin=${loaded.preview.vmin}; vmax=${loaded.preview.vmax}; stretch=asinh`)
      .type('image/png')
      .send(loaded.png)
  })

  app.get<{ Params: { imageId: string }; Querystring: { x?: string; y?: string } }>('/images/:imageId/pixel', async (request, reply) => {
    const x = parseCoordinate(request.query.x)
    const y = parseCoordinate(request.query.y)
    if (x === null || y === null) return sendError(request, reply, 400, 'x and y are FITS pixel coordinates: whole numbers of 1 or more')
    const image = await imageOf(request, reply, catalog)
    if (image === null) return reply
    if (!isFitsImage(image)) return sendError(request, reply, 404, `image ${image.imageId} is a picture, not a FITS image`)
    const loaded = await loadOrAnswer(request, reply, fits, image)
    if (loaded === null) return reply
    const readout = FitsImages.readout(loaded, x, y)
    if (readout === null)
      return sendError(
        request,
        reply,
        400,
        `pixel (${x}, ${y}) is outside the ${loaded.width}×${loaded.height} image (FITS pixels start at 1)`,
      )
    const { sky } = readout
    // Not cached: `db reset` starts the ids again, and the same id may later be another image.
    return reply.header('cache-control', 'no-cache').send({
      imageId: image.imageId,
      hdu: loaded.hdu,
      x,
      y,
      origin: 'FITS 1-based pixel centres',
      value: readout.value,
      masked: readout.value === null,
      sky:
        sky === null
          ? null
          : {
              system: sky.system,
              ra: sky.ra,
              dec: sky.dec,
              raText: sky.equatorial ? formatRaHms(sky.ra) : formatDegrees(sky.ra),
              decText: sky.equatorial ? formatDecDms(sky.dec) : formatDegrees(sky.dec),
            },
      wcsProblem: loaded.wcsProblem,
    })
  })
}

async function imageOf(
  request: FastifyRequest<{ Params: { imageId: string } }>,
  reply: FastifyReply,
  catalog: CatalogReports,
): Promise<ImageRecord | null> {
  const imageId = parsePositiveId(request.params.imageId)
  if (imageId === null) {
    sendError(request, reply, 400, 'an image id is a whole number of 1 or more')
    return null
  }
  const image = await catalog.getImage(imageId)
  if (image === null) sendError(request, reply, 404, `no image ${imageId}`)
  return image
}

/** The loaded image, or null once an error answer is sent: 404 missing, 422 unreadable, 503 busy. */
async function loadOrAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  fits: FitsImages,
  image: ImageRecord,
): Promise<LoadedFits | null> {
  try {
    const loaded = await fits.load(image)
    if (loaded !== 'busy') return loaded
    reply.header('retry-after', '2')
    sendError(request, reply, 503, 'the server is busy rendering other FITS images; try again in a moment')
    return null
  } catch (error) {
    if (isImgpipeError(error, 'IMGPIPE_OBJECT_NOT_FOUND', 'IMGPIPE_OBJECT_KEY_INVALID')) {
      sendError(request, reply, 404, `image ${image.imageId} is missing from the object store`)
      return null
    }
    if (isUnreadableFits(error)) {
      // A hostile or broken file: one line to the log and the visitor, and the server goes on.
      request.log.warn({ imageId: image.imageId, reason: describeError(error) }, 'FITS image cannot be shown')
      sendError(request, reply, 422, `image ${image.imageId} cannot be shown: ${describeError(error)}`)
      return null
    }
    throw error
  }
}

function parseCoordinate(raw: string | undefined): number | null {
  if (raw === undefined || !/^\d{1,9}$/.test(raw)) return null
  const value = Number(raw)
  return value >= 1 ? value : null
}
