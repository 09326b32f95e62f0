import { createHash } from 'node:crypto'
import { ANALYZER, analyzePair, type PairAnalysis } from '../../analysis/analyze-pair.js'
import { decodeImage, type RawImage } from '../../analysis/decode-image.js'
import { inspectedPixels } from '../../analysis/inspected-pixels.js'
import { Coalescer } from '../../core/coalescer.js'
import { describeError, isImgpipeError, NotFoundError, ObjectMismatchError, toImgpipeError, type ImgpipeError } from '../../core/errors.js'
import { encodeMessage, parseImageAnalysisMessage, SCHEMA_VERSION, type ImageEventAlertMessage } from '../../core/messages.js'
import { differenceImageObjectKey, imageNumFromFilename } from '../../core/object-keys.js'
import type { BusMessage, ReceivedMessage, Subscription } from '../../core/ports/bus.js'
import type { AnalysisWrite, AnalysisWriteOutcome } from '../../core/ports/catalog.js'
import type { AnalysisResult, ImageEventRecord, ImageRecord } from '../../core/types.js'
import { consumeTopic } from '../message-worker.js'
import { forEachPendingPage, retrying, type StageContext } from '../stage-context.js'
import { ROW_WAIT_MS, waitForRow } from '../wait-for-row.js'
import { DecodedImageCache } from './decoded-image-cache.js'
import { analysisPixelBytes, PixelBudget } from './pixel-budget.js'

/** Budget of the pixels a receive stage of this process hands over (see InspectedPixels), within the decode cache's. */
const INSPECTED_PIXELS_MAX_BYTES = 64 * 1024 * 1024

/**
 * Decoded pixels the analyses in flight may hold together (each: its image, its predecessor and the difference, 3
 * bytes a pixel each): 3 images of 2048 px at once, 1 of 4096 px; at 350 px the handlers' number is the limit.
 */
const PIXELS_IN_FLIGHT_BYTES = 128 * 1024 * 1024

/** Most analyses written in one statement: a batch is at most the handlers in flight, and this bounds the SQL. */
const WRITE_BATCH_MAX = 64

/** Analysis of one image against its predecessor, before anything is written. */
interface Comparison {
  result: AnalysisResult
  /** The pair's pixel analysis; null when there was nothing to compare or the bytes were identical. */
  pair: PairAnalysis | null
}

/**
 * The analyze stage: for each `image_analysis` message, compares the image with the previous image of
 * its stream, stores the analysis on the image row and, for an event, an `image_event` row and its
 * difference image, then publishes on `image_event_alert`.
 *
 * Idempotent, so at-least-once delivery gives exactly-once rows: an image already analysed is not
 * analysed again (its event, if any, is finished and republished in case the crash came before); the
 * event row is unique per image. The difference image is named after the event's id, as the original
 * names it, so the event row is inserted first without a key, then the object is put, then the key set;
 * `recover()` finishes events whose key is still NULL.
 *
 * Blame goes where the bad bytes are: an image whose own object is missing, corrupt or not the bytes its
 * row recorded (content_sha256) is marked failed; a bad predecessor is marked failed and the image is
 * compared with the last good one before it. A service that fails for good (a full disk, a read-only or
 * forbidden store, a database that refuses) blames no image: the stage stops with that error and the image
 * stays `received`, to be analysed once the service is fixed.
 */
export class AnalyzeStage {
  private readonly cache: DecodedImageCache
  private readonly budget = new PixelBudget(PIXELS_IN_FLIGHT_BYTES)
  /**
   * The analyses of concurrent handlers go to the catalog together: one UPDATE (and one event INSERT) per batch
   * instead of a transaction of four statements per image. A batch that fails for one image's sake (its row gone)
   * is written again image by image, so that only that image's handler fails.
   */
  private readonly writes: Coalescer<AnalysisWrite, AnalysisWriteOutcome>
  /** Likewise the difference image keys of events whose object is stored. */
  private readonly keys: Coalescer<{ imageEventId: number; differenceImageObjectKey: string }, ImageEventRecord>
  /** And their alert requests: one produce for the events finished together (a produce is a round trip, acks all). */
  private readonly alerts: Coalescer<BusMessage, void>
  /** What this process did (not the catalog's totals): how several analyzers shared the work. */
  readonly stats = { analyzed: 0, failed: 0, events: 0 }

  /** `rowWaitMs`: how long a message may wait for its image row to be committed (tests shorten it). */
  constructor(
    private readonly context: StageContext,
    private readonly options: { rowWaitMs?: number } = {},
  ) {
    this.cache = new DecodedImageCache(context.analysis.decodeCacheBytes)
    const batches = { maxBatch: WRITE_BATCH_MAX }
    this.writes = new Coalescer((writes) => context.catalog.recordAnalyses(writes), batches)
    this.keys = new Coalescer((keys) => context.catalog.setEventDifferenceKeys(keys), batches)
    this.alerts = new Coalescer(async (messages) => {
      await context.bus.publish(context.topics.imageEventAlert, messages)
      return messages.map(() => undefined)
    }, batches)
    // A receive stage in this process hands over the pixels it decoded to validate each image: about one receive
    // window of 350 px images (64 × 0.37 MB) waits there for analysis; larger images mostly miss and are decoded here.
    inspectedPixels.enable(Math.min(context.analysis.decodeCacheBytes, INSPECTED_PIXELS_MAX_BYTES))
  }

  /** Finishes and republishes events that never got an alert (a crash mid-way), then consumes. */
  async start(): Promise<Subscription> {
    await this.recover()
    const { topics } = this.context
    return consumeTopic(this.context, 'analyze', { topic: topics.imageAnalysis, group: topics.imageAnalysisGroup }, (message) =>
      this.handle(message),
    )
  }

  async recover(): Promise<number> {
    const finished = await forEachPendingPage(
      this.context,
      (page) => this.context.catalog.listEventsWithoutKey(page),
      (event) => event.imageEventId,
      async (events) => {
        for (const event of events) await this.finishEventOrLog(event)
      },
    )
    if (finished > 0) this.context.logger.info({ finished }, 'analyze: finished events without a difference image')
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
    const { imageId, imageNum } = parseImageAnalysisMessage(message.value)
    await this.analyzeImage(imageId, imageNum)
  }

  /**
   * Analyses one image by id; safe to call any number of times. `imageNum` is the message's number, for rows
   * the original's receiving client wrote without one.
   */
  async analyzeImage(imageId: number, imageNum: number | null = null): Promise<void> {
    const { catalog, logger } = this.context
    // The original's clients publish right after their own commit, on another connection: wait for the row.
    // The image and its predecessor in one round trip (`undefined` previous: not known yet, look it up).
    const found = await waitForRow(this.context, () => catalog.getImageWithPrevious(imageId), {
      timeoutMs: this.options.rowWaitMs ?? ROW_WAIT_MS,
    })
    if (found === null) throw new NotFoundError(`image_id ${imageId} is not in image_metadata`)
    let { image } = found
    let previous: ImageRecord | null | undefined = found.previous
    if (image.imageNum === null) {
      image = await this.numberOriginalRows(image, imageNum)
      previous = undefined
    }
    if (image.status === 'failed' || image.status === 'storing') return
    if (image.status === 'analyzed') {
      const event = await catalog.getEventByImageId(imageId)
      if (event !== null) await this.finishEvent(event, image)
      return
    }
    try {
      // Rows of the original's client carry no size: counted as nothing (its images are 350 px).
      const comparison = await this.budget.run(analysisPixelBytes(image.width, image.height), () =>
        this.compareWithPrevious(image, previous),
      )
      await this.record(image, comparison)
      this.stats.analyzed += 1
      this.context.metrics?.increment('imgpipe_images_analyzed_total')
    } catch (error) {
      const failure = toImgpipeError(error)
      if (!this.blamesImage(failure)) throw failure
      // Permanent (its own object corrupt, gone or swapped): record it on the image and move on.
      logger.warn({ imageId, code: failure.code }, `analyze: image ${imageId} failed: ${describeError(failure)}`)
      await catalog.markImageFailed(imageId, failure.code, describeError(failure).slice(0, 1000))
      this.stats.failed += 1
      this.context.metrics?.increment('imgpipe_images_failed_total')
    }
  }

  /**
   * Rows of the original's receiving client carry no number: it is in the message, or in the file name
   * (`image_00003.jpg`). The stream's other unnumbered rows get theirs too, so that whatever order the
   * messages come in, "the previous image" is found by number.
   */
  private async numberOriginalRows(image: ImageRecord, hint: number | null): Promise<ImageRecord> {
    const { catalog } = this.context
    const own = hint ?? imageNumFromFilename(image.imageFilename)
    if (own === null) return image
    const numbered = await catalog.assignImageNum(image.imageId, image.stream, own)
    await forEachPendingPage(
      this.context,
      (page) => catalog.listUnnumberedImages(image.stream, page),
      (row) => row.imageId,
      async (rows) => {
        for (const row of rows) {
          const num = imageNumFromFilename(row.imageFilename)
          if (num === null) continue
          // A clash (two rows naming one number) leaves the row unnumbered rather than failing this image.
          await catalog.assignImageNum(row.imageId, row.stream, num).catch(() => undefined)
        }
      },
    )
    return numbered
  }

  private async compareWithPrevious(image: ImageRecord, known: ImageRecord | null | undefined): Promise<Comparison> {
    const noPrevious = { result: analysisOf(null, null), pair: null }
    if (image.imageNum === null) return noPrevious // nothing to compare by
    const current = await this.pixels(image) // first: a bad own object is this image's failure
    this.lease(current, 1)
    try {
      return await this.compareWith(image, image.imageNum, current, known)
    } finally {
      this.lease(current, -1)
    }
  }

  /** The comparison with the last good image before `imageNum`, skipping (and failing) predecessors with bad objects. */
  private async compareWith(
    image: ImageRecord,
    imageNum: number,
    current: RawImage,
    known: ImageRecord | null | undefined,
  ): Promise<Comparison> {
    const noPrevious = { result: analysisOf(null, null), pair: null }
    for (let before = imageNum, first = true; ; first = false) {
      const previous = first && known !== undefined ? known : await this.context.catalog.findPreviousImage(image.stream, before)
      if (previous === null || previous.imageNum === null) return noPrevious
      before = previous.imageNum
      if (previous.status === 'storing') {
        // Another writer is storing it: wait for it, unless that writer is long gone.
        if (Date.now() - previous.receivedAt.getTime() < ROW_WAIT_MS) {
          throw new NotFoundError(`previous image ${previous.imageId} is still being stored`, { canRetry: true })
        }
        continue
      }
      if (image.contentSha256 !== null && image.contentSha256 === previous.contentSha256) {
        // Byte-identical to its predecessor: the pixels are identical, no need to decode anything.
        return { result: { ...analysisOf(previous.imageId, null), l2Norm: 0, changedFraction: 0, maxAbsDifference: 0 }, pair: null }
      }
      const before_ = await this.previousPixels(previous)
      if (before_ === null) continue
      this.lease(before_, 1)
      try {
        // Handlers run concurrently: the previous image is ours to overwrite with the difference only when the
        // cache let it go and no other analysis holds it (nobody can get it afterwards: only the cache hands it out).
        const consumePrevious = !this.cache.holds(before_) && this.leases.get(before_) === 1 && before_ !== current
        const pair = await analyzePair(before_, current, { ...this.context.analysis, consumePrevious })
        return { result: analysisOf(previous.imageId, pair), pair }
      } finally {
        this.lease(before_, -1)
      }
    }
  }

  /**
   * Whether a failure is the image's own (its object gone, corrupt, swapped or not decodable) and is recorded on
   * it. Not a retryable one, nor a service's: before this, a difference image that did not fit on a full disk
   * (ENOSPC, not retryable) marked its image failed for good, and the next image raised a false event.
   */
  private blamesImage(failure: ImgpipeError): boolean {
    if (failure.canRetry || this.context.signal.aborted) return false
    return !isImgpipeError(failure, 'IMGPIPE_STORE_UNAVAILABLE', 'IMGPIPE_CATALOG_UNAVAILABLE', 'IMGPIPE_BUS_UNAVAILABLE', 'IMGPIPE_CLOSED')
  }

  /** The predecessor's pixels (taken out of the cache: this comparison is their last use), or null after marking it failed when its own object is bad. */
  private async previousPixels(previous: ImageRecord): Promise<RawImage | null> {
    try {
      return await this.pixels(previous, true)
    } catch (error) {
      const failure = toImgpipeError(error)
      if (!this.blamesImage(failure)) throw failure
      this.context.logger.warn(
        { imageId: previous.imageId, code: failure.code },
        `analyze: previous image ${previous.imageId} failed, comparing with the one before: ${describeError(failure)}`,
      )
      await this.context.catalog.markImageFailed(previous.imageId, failure.code, describeError(failure).slice(0, 1000))
      return null
    }
  }

  private async record(image: ImageRecord, comparison: Comparison): Promise<void> {
    const { logger } = this.context
    const pairEvent = comparison.pair?.event ?? null
    if (pairEvent === null) {
      await this.writes.submit({ imageId: image.imageId, result: comparison.result, event: null })
      return
    }
    const { event, created } = await this.writes.submit({
      imageId: image.imageId,
      result: comparison.result,
      event: {
        imageId: image.imageId,
        differenceImageObjectKey: null,
        eventType: pairEvent.eventType,
        analyzer: ANALYZER.name,
        analyzerVersion: ANALYZER.version,
      },
    })
    if (event === null) return
    if (created) {
      this.stats.events += 1
      this.context.metrics?.increment('imgpipe_events_total')
      logger.info(
        {
          imageEventId: event.imageEventId,
          stream: image.stream,
          imageNum: image.imageNum,
          changedFraction: comparison.result.changedFraction,
        },
        `analyze: image event ${event.imageEventId} (${event.eventType}) on ${image.stream} image ${image.imageNum}`,
      )
    }
    await this.finishEvent(event, image, pairEvent.differenceJpeg)
  }

  /**
   * Stores the difference image under the event's own name, sets its key, publishes the alert. Without the
   * JPEG in hand (recovery), the pair is analysed again from the image and the predecessor it was compared with.
   */
  private async finishEvent(event: ImageEventRecord, image: ImageRecord, differenceJpeg?: Buffer, publish = true): Promise<void> {
    let finished = event
    if (finished.differenceImageObjectKey === null) {
      const jpeg = differenceJpeg ?? (await this.recomputeDifference(image))
      const key = differenceImageObjectKey(image.stream, event.imageEventId)
      await this.context.store.put(key, jpeg, { contentType: 'image/jpeg' })
      finished = await this.keys.submit({ imageEventId: event.imageEventId, differenceImageObjectKey: key })
    }
    if (publish) await this.publishAlert(finished, image)
  }

  private async recomputeDifference(image: ImageRecord): Promise<Buffer> {
    const previous = image.previousImageId === null ? null : await this.context.catalog.getImage(image.previousImageId)
    if (previous === null) throw new NotFoundError(`image ${image.imageId} has an event but no previous image to compare with`)
    const pair = await analyzePair(await this.pixels(previous), await this.pixels(image), this.context.analysis)
    if (pair.event === null) throw new NotFoundError(`image ${image.imageId} no longer differs from image ${previous.imageId}`)
    return pair.event.differenceJpeg
  }

  private async finishEventOrLog(event: ImageEventRecord): Promise<void> {
    try {
      const image = await this.context.catalog.getImage(event.imageId)
      if (image === null) return
      // Not published here: the republishing pass of recover() that follows sends it once.
      await retrying(this.context, 'event finish', () => this.finishEvent(event, image, undefined, false))
    } catch (error) {
      if (this.context.signal.aborted) throw error
      const failure = toImgpipeError(error)
      this.context.logger.warn(
        { imageEventId: event.imageEventId, code: failure.code },
        `analyze: event ${event.imageEventId} has no difference image: ${describeError(failure)}`,
      )
    }
  }

  /** Decoded images in use by analyses now, with how many hold each. */
  private readonly leases = new Map<RawImage, number>()

  private lease(image: RawImage, delta: 1 | -1): void {
    const count = (this.leases.get(image) ?? 0) + delta
    if (count === 0) this.leases.delete(image)
    else this.leases.set(image, count)
  }

  /**
   * Decoded pixels of an image's own object, checked against the bytes its row recorded. `last`: the caller is the
   * image's last user (its successor's comparison), so they are not kept.
   */
  private async pixels(image: ImageRecord, last = false): Promise<RawImage> {
    const cached = last ? this.cache.take(image.contentSha256) : this.cache.get(image.contentSha256)
    if (cached !== undefined) return cached
    const bytes = await this.context.store.get(image.imageObjectKey)
    if (image.contentSha256 !== null) {
      const actual = createHash('sha256').update(bytes).digest('hex')
      if (actual !== image.contentSha256) throw new ObjectMismatchError(image.imageObjectKey, image.contentSha256, actual)
    }
    // Only now, with the bytes proven to be the recorded ones, may pixels decoded from bytes of that hash stand in.
    const handed = image.contentSha256 === null ? undefined : inspectedPixels.take(image.contentSha256)
    const decoded = handed ?? (await decodeImage(bytes, this.context.analysis))
    if (!last) this.cache.set(image.contentSha256, decoded)
    return decoded
  }

  private async publishAlert(event: ImageEventRecord, known?: ImageRecord): Promise<void> {
    // An event without its difference image is not alerted: recovery (or the original's client) finishes it first.
    if (event.differenceImageObjectKey === null) return
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
    await this.alerts.submit({ key: message.stream, value: encodeMessage(message) })
  }
}

function analysisOf(previousImageId: number | null, pair: PairAnalysis | null): AnalysisResult {
  return {
    previousImageId,
    l2Norm: pair?.metrics.l2Norm ?? null,
    changedFraction: pair?.metrics.changedFraction ?? null,
    maxAbsDifference: pair?.metrics.maxAbsDifference ?? null,
    analyzedAt: new Date(),
  }
}
