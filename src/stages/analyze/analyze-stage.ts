import { ANALYZER, analyzePair } from '../../analysis/analyze-pair.js'
import { decodeImage, type RawImage } from '../../analysis/decode-image.js'
import { describeError, NotFoundError, toImgpipeError } from '../../core/errors.js'
import { encodeMessage, parseImageAnalysisMessage, SCHEMA_VERSION, type ImageEventAlertMessage } from '../../core/messages.js'
import { differenceImageObjectKey } from '../../core/object-keys.js'
import type { ReceivedMessage, Subscription } from '../../core/ports/bus.js'
import type { ImageEventRecord, ImageRecord } from '../../core/types.js'
import { consumeTopic } from '../message-worker.js'
import { forEachPendingPage, retrying, type StageContext } from '../stage-context.js'
import { DecodedImageCache } from './decoded-image-cache.js'

/**
 * The analyze stage: for each `image_analysis` message, compares the image with the previous image of
 * its stream, stores the analysis on the image row and, for an event, the difference image and an
 * `image_event` row, then publishes on `image_event_alert`.
 *
 * Idempotent, so at-least-once delivery gives exactly-once rows: an image already analysed is not
 * analysed again (its event, if any, is republished in case the crash came before the publish); the
 * difference image has a deterministic key; the event row is unique per image.
 */
export class AnalyzeStage {
  private readonly cache: DecodedImageCache
  /** What this process did (not the catalog's totals): how several analyzers shared the work. */
  readonly stats = { analyzed: 0, failed: 0, events: 0 }

  constructor(private readonly context: StageContext) {
    this.cache = new DecodedImageCache(context.analysis.decodeCacheBytes)
  }

  /** Republishes events that never got an alert (a crash between event insert and publish), then consumes. */
  async start(): Promise<Subscription> {
    await this.recover()
    const { topics } = this.context
    return consumeTopic(this.context, 'analyze', { topic: topics.imageAnalysis, group: topics.imageAnalysisGroup }, (message) =>
      this.handle(message),
    )
  }

  async recover(): Promise<number> {
    const republished = await forEachPendingPage(
      this.context,
      (page) => this.context.catalog.listEventsWithoutAlert(page),
      (event) => event.imageEventId,
      async (events) => {
        for (const event of events) await retrying(this.context, 'republish', () => this.publishAlert(event))
      },
    )
    if (republished > 0) this.context.logger.info({ republished }, 'analyze: republished events awaiting an alert')
    return republished
  }

  async handle(message: ReceivedMessage): Promise<void> {
    const { imageId } = parseImageAnalysisMessage(message.value)
    await this.analyzeImage(imageId)
  }

  /** Analyses one image by id; safe to call any number of times. */
  async analyzeImage(imageId: number): Promise<void> {
    const { catalog, logger } = this.context
    const image = await catalog.getImage(imageId)
    if (image === null) throw new NotFoundError(`image_id ${imageId} is not in image_metadata`)
    if (image.status === 'failed') return
    if (image.status === 'analyzed') {
      const event = await catalog.getEventByImageId(imageId)
      if (event !== null) await this.publishAlert(event, image)
      return
    }
    try {
      await this.compareWithPrevious(image)
      this.stats.analyzed += 1
    } catch (error) {
      const failure = toImgpipeError(error)
      if (failure.canRetry || this.context.signal.aborted) throw failure
      // Permanent (corrupt object, vanished bytes): record it on the image and move on.
      logger.warn({ imageId, code: failure.code }, `analyze: image ${imageId} failed: ${describeError(failure)}`)
      await catalog.markImageFailed(imageId, failure.code, describeError(failure).slice(0, 1000))
      this.stats.failed += 1
    }
  }

  private async compareWithPrevious(image: ImageRecord): Promise<void> {
    const { catalog, store, analysis, logger } = this.context
    // Rows inserted by hand with only the original's two columns have no number: nothing to compare with.
    const previous = image.imageNum === null ? null : await catalog.findPreviousImage(image.stream, image.imageNum)
    if (previous === null) {
      await catalog.recordAnalysis(image.imageId, emptyAnalysis(), null)
      return
    }
    if (image.contentSha256 !== null && image.contentSha256 === previous.contentSha256) {
      // Byte-identical to its predecessor: the pixels are identical, no need to decode anything.
      await catalog.recordAnalysis(
        image.imageId,
        { previousImageId: previous.imageId, l2Norm: 0, changedFraction: 0, maxAbsDifference: 0, analyzedAt: new Date() },
        null,
      )
      return
    }
    const result = await this.withPixels(previous, image, (previousPixels, currentPixels) => {
      // Handlers run concurrently: the previous image is ours to overwrite only when the cache let it go
      // and no other analysis holds it (nobody can get it afterwards: only the cache hands images out).
      const consumePrevious = !this.cache.holds(previousPixels) && this.leases.get(previousPixels) === 1
      return analyzePair(previousPixels, currentPixels, { ...analysis, consumePrevious })
    })
    const analyzed = {
      previousImageId: previous.imageId,
      l2Norm: result.metrics.l2Norm,
      changedFraction: result.metrics.changedFraction,
      maxAbsDifference: result.metrics.maxAbsDifference,
      analyzedAt: new Date(),
    }
    if (result.event === null || image.imageNum === null) {
      await catalog.recordAnalysis(image.imageId, analyzed, null)
      return
    }
    const key = differenceImageObjectKey(image.stream, image.imageNum)
    await store.put(key, result.event.differenceJpeg, { contentType: 'image/jpeg' })
    const { event, created } = await catalog.recordAnalysis(image.imageId, analyzed, {
      imageId: image.imageId,
      differenceImageObjectKey: key,
      eventType: result.event.eventType,
      analyzer: ANALYZER.name,
      analyzerVersion: ANALYZER.version,
    })
    if (event === null) return
    if (created) {
      this.stats.events += 1
      logger.info(
        { imageEventId: event.imageEventId, stream: image.stream, imageNum: image.imageNum, changedFraction: analyzed.changedFraction },
        `analyze: image event ${event.imageEventId} (${event.eventType}) on ${image.stream} image ${image.imageNum}`,
      )
    }
    await this.publishAlert(event, image)
  }

  /** Decoded images in use by analyses now, with how many hold each. */
  private readonly leases = new Map<RawImage, number>()

  private lease(image: RawImage, delta: 1 | -1): void {
    const count = (this.leases.get(image) ?? 0) + delta
    if (count === 0) this.leases.delete(image)
    else this.leases.set(image, count)
  }

  /** Both images decoded one after the other (two large decodes at once double the peak memory), held for `work`. */
  private async withPixels<T>(
    previous: ImageRecord,
    image: ImageRecord,
    work: (previous: RawImage, current: RawImage) => Promise<T>,
  ): Promise<T> {
    const previousPixels = await this.pixels(previous)
    this.lease(previousPixels, 1)
    try {
      const currentPixels = await this.pixels(image)
      this.lease(currentPixels, 1)
      try {
        return await work(previousPixels, currentPixels)
      } finally {
        this.lease(currentPixels, -1)
      }
    } finally {
      this.lease(previousPixels, -1)
    }
  }

  private async pixels(image: ImageRecord): Promise<RawImage> {
    const cached = this.cache.get(image.contentSha256)
    if (cached !== undefined) return cached
    const bytes = await this.context.store.get(image.imageObjectKey)
    const decoded = await decodeImage(bytes, this.context.analysis)
    this.cache.set(image.contentSha256, decoded)
    return decoded
  }

  private async publishAlert(event: ImageEventRecord, known?: ImageRecord): Promise<void> {
    const image = known ?? (await this.context.catalog.getImage(event.imageId))
    const message: ImageEventAlertMessage = {
      schema_version: SCHEMA_VERSION,
      image_event_id: event.imageEventId,
      image_id: event.imageId,
      stream: image?.stream ?? 'default',
      image_num: image?.imageNum ?? null,
      difference_image_object_key: event.differenceImageObjectKey,
      event_type: event.eventType,
      detected_at: event.detectedAt.toISOString(),
    }
    await this.context.bus.publish(this.context.topics.imageEventAlert, [{ key: message.stream, value: encodeMessage(message) }])
  }
}

function emptyAnalysis() {
  return { previousImageId: null, l2Norm: null, changedFraction: null, maxAbsDifference: null, analyzedAt: new Date() }
}
