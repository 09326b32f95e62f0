import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isImgpipeError } from '../core/errors.js'
import { contentTypeForKey } from '../core/object-keys.js'
import type { CatalogReports } from '../core/ports/catalog-reports.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import { parsePositiveId } from './web-params.js'
import { contentDisposition, sendError, wantsDownload } from './web-responses.js'

/**
 * `GET /images/:imageId` and `GET /difference/:imageEventId`. The object key always comes from the row the
 * id names, never from the URL, so only objects the catalog references can be fetched: there is no path
 * to traverse and no key to guess.
 */
export function registerObjectRoutes(app: FastifyInstance, deps: { catalog: CatalogReports; store: ObjectStore }): void {
  const { catalog, store } = deps

  app.get<{ Params: { imageId: string }; Querystring: { download?: string } }>('/images/:imageId', async (request, reply) => {
    const imageId = parsePositiveId(request.params.imageId)
    if (imageId === null) return sendError(request, reply, 400, 'an image id is a whole number of 1 or more')
    const image = await catalog.getImage(imageId)
    if (image === null) return sendError(request, reply, 404, `no image ${imageId}`)
    return sendObject(request, reply, deps.store, {
      key: image.imageObjectKey,
      contentSha256: image.contentSha256,
      what: `image ${imageId}`,
      filename: image.imageFilename,
      download: wantsDownload(request.query.download),
    })
  })

  app.get<{ Params: { imageEventId: string }; Querystring: { download?: string } }>('/difference/:imageEventId', async (request, reply) => {
    const imageEventId = parsePositiveId(request.params.imageEventId)
    if (imageEventId === null) return sendError(request, reply, 400, 'an image event id is a whole number of 1 or more')
    const event = await catalog.getEvent(imageEventId)
    if (event === null) return sendError(request, reply, 404, `no image event ${imageEventId}`)
    // Null (or empty) while the difference image is still being made.
    const key: string | null = event.differenceImageObjectKey
    if (key === null || key === '')
      return sendError(request, reply, 404, `the difference image of image event ${imageEventId} is not available yet`)
    return sendObject(request, reply, store, {
      key,
      contentSha256: null,
      what: `the difference image of image event ${imageEventId}`,
      filename: `difference_${key.slice(key.lastIndexOf('/') + 1)}`,
      download: wantsDownload(request.query.download),
    })
  })
}

export async function sendObject(
  request: FastifyRequest,
  reply: FastifyReply,
  store: ObjectStore,
  object: { key: string; contentSha256: string | null; what: string; filename: string; download: boolean },
): Promise<FastifyReply> {
  // Not `immutable`: `db reset` and `store empty` start the ids again, so /images/1 can later be another image.
  // Browsers revalidate instead, and an unchanged image costs a 304 without its bytes. The recorded hash
  // (or the object's size and date) names the version without reading it.
  const known = object.contentSha256 === null ? null : etagOf(`${object.key}\n${object.contentSha256}`)
  if (known !== null && request.headers['if-none-match'] === known)
    return reply.header('etag', known).header('cache-control', 'no-cache').code(304).send()
  let body: Readable | Buffer
  let etag: string
  try {
    if (store.getStream !== undefined) {
      // Streamed: a slow or stalled client holds a socket's buffer of the object, not all of it.
      const opened = await store.getStream(object.key)
      body = opened.stream
      reply.header('content-length', opened.size)
      etag = known ?? etagOf(`${object.key}\n${opened.size}\n${opened.lastModified?.getTime() ?? ''}`)
    } else {
      const bytes = await store.get(object.key)
      body = bytes
      etag = known ?? etagOf(bytes)
    }
  } catch (error) {
    if (isImgpipeError(error, 'IMGPIPE_OBJECT_NOT_FOUND')) {
      return sendError(request, reply, 404, `${object.what} is missing from the object store`)
    }
    if (isImgpipeError(error, 'IMGPIPE_OBJECT_KEY_INVALID')) {
      // Only a row written by hand can hold such a key; the store refuses it, and so do we.
      request.log.warn({ key: object.key }, `${object.what} names an invalid object key`)
      return sendError(request, reply, 404, `${object.what} has no servable object`)
    }
    throw error
  }
  reply.header('etag', etag).header('cache-control', 'no-cache')
  if (request.headers['if-none-match'] === etag) {
    if (!Buffer.isBuffer(body)) body.destroy()
    reply.removeHeader('content-length')
    return reply.code(304).send()
  }
  const type = contentTypeForKey(object.key)
  reply.type(type)
  // Bytes of an unknown type are never rendered inline, whatever they contain.
  if (object.download || type === 'application/octet-stream') reply.header('content-disposition', contentDisposition(object.filename))
  return reply.send(body)
}

function etagOf(data: string | Buffer): string {
  return `"${createHash('sha256').update(data).digest('base64url').slice(0, 27)}"`
}
