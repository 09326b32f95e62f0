/**
 * Shared by the web tests: an in-memory StageContext that the real pipeline has filled with mock images,
 * events and alerts, and a web app over it.
 */
import type { FastifyInstance } from 'fastify'
import type { AlertView } from '../../src/core/types.js'
import { buildWebApp, type WebAppOptions } from '../../src/web/web-app.js'
import { memoryContext, runMockPipeline, type TestContext } from '../support/memory-context.js'
import { insertOneAlert, insertOneImage, recordOneAnalysis } from '../support/catalog-writes.js'

/** Runs receive → analyze → alert over the context until drained, for images `from`..`count` of each stream. */
export async function runMock(context: TestContext, streams: readonly string[], count: number, from = 1): Promise<void> {
  await runMockPipeline(context, { streams, count, from })
}

export interface WebFixture {
  context: TestContext
  app: FastifyInstance
  close(): Promise<void>
}

/**
 * Unless `empty`: two interleaved streams `a` and `b` of 8 images: image ids alternate a1=1, b1=2, a2=3, b2=4, a3=5...,
 * so image 3 of `a` (id 5) has image 2 of `a` (id 3) before it, not id 4. Events on images 3 and 7 of
 * each stream: alerts 1-4 (a3, b3, a7, b7 in some order of completion).
 */
export async function webFixture(options: Partial<WebAppOptions> & { empty?: boolean } = {}): Promise<WebFixture> {
  const { empty, ...appOptions } = options
  const context = await memoryContext()
  if (empty !== true) await runMock(context, ['a', 'b'], 8)
  const app = await buildWebApp({ catalog: context.catalog, store: context.store, pollIntervalMs: 20, ...appOptions })
  return {
    context,
    app,
    async close() {
      await app.close()
      await context.close()
    },
  }
}

/**
 * An alert written straight into the catalog (no pipeline, no objects unless `bytes` is given): for pages
 * the pipeline never produces, e.g. an event on the first image of a stream, odd names, missing objects.
 */
export async function insertAlert(
  context: TestContext,
  options: {
    stream: string
    imageNum: number
    previousImageId?: number | null
    imageFilename?: string
    imageObjectKey?: string
    differenceKey?: string
    bytes?: Buffer
  },
): Promise<{ alertNumber: number; imageId: number; imageEventId: number }> {
  const { catalog, store } = context
  const key = options.imageObjectKey ?? `image/${options.stream}/image_${String(options.imageNum).padStart(5, '0')}.jpg`
  const differenceKey = options.differenceKey ?? `difference_image/${options.stream}/image_${String(options.imageNum).padStart(5, '0')}.jpg`
  if (options.bytes !== undefined) {
    await store.put(key, options.bytes)
    await store.put(differenceKey, options.bytes)
  }
  const { image } = await insertOneImage(catalog, {
    stream: options.stream,
    imageNum: options.imageNum,
    imageFilename: options.imageFilename ?? `image_${options.imageNum}.jpg`,
    imageObjectKey: key,
    contentSha256: null,
    byteSize: options.bytes?.length ?? 0,
    width: 350,
    height: 350,
    format: 'jpeg',
    status: 'received',
  })
  const { event } = await recordOneAnalysis(
    catalog,
    image.imageId,
    {
      previousImageId: options.previousImageId ?? null,
      l2Norm: 1234.5,
      changedFraction: 0.25,
      maxAbsDifference: 200,
      analyzedAt: new Date(),
    },
    { imageId: image.imageId, differenceImageObjectKey: differenceKey, eventType: 'changed', analyzer: 'test', analyzerVersion: '0' },
  )
  if (event === null) throw new Error('no event recorded')
  const { alert } = await insertOneAlert(catalog, event.imageEventId)
  return { alertNumber: alert.imageEventAlertId, imageId: image.imageId, imageEventId: event.imageEventId }
}

/** An AlertView built in memory (stream `s`, every id equal to `number`), for code that only reads views. */
export function fakeView(number: number): AlertView {
  const at = new Date(0)
  const image = {
    imageId: number,
    imageFilename: 'x.jpg',
    imageObjectKey: `image/s/${number}.jpg`,
    stream: 's',
    imageNum: number,
    contentSha256: null,
    byteSize: 1,
    width: 1,
    height: 1,
    format: 'jpeg',
    status: 'analyzed' as const,
    errorCode: null,
    errorMessage: null,
    receivedAt: at,
    analyzedAt: at,
    previousImageId: null,
    l2Norm: 1,
    changedFraction: 1,
    maxAbsDifference: 1,
    observation: null,
  }
  return {
    alert: { imageEventAlertId: number, imageEventId: number, createdAt: at, deliveredAt: null, deliveryChannels: null },
    event: {
      imageEventId: number,
      imageId: number,
      differenceImageObjectKey: `difference_image/s/${number}.jpg`,
      eventType: 'changed',
      detectedAt: at,
      analyzer: null,
      analyzerVersion: null,
    },
    image,
    previousImage: null,
  }
}
