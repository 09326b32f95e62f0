import { pixelDiff } from '../../analysis/pixel-diff/pixel-diff.js'
import { describeError, NotFoundError } from '../../core/errors.js'
import { parseImageAnalysisMessage } from '../../core/messages.js'
import type { Analyzer } from '../../core/ports/analyzer.js'
import type { ReceivedMessage, Subscription } from '../../core/ports/bus.js'
import type { ImageRecord } from '../../core/types.js'
import { consumeTopic } from '../message-worker.js'
import type { AnalysisLedger } from '../../core/ports/analysis-ledger.js'
import type { StageContext } from '../stage-context.js'
import { ROW_WAIT_MS, waitForRow } from '../wait-for-row.js'
import { AnalysisWrites } from './analysis-writes.js'
import { failImage } from './blame.js'
import { PreviousComparison, type Comparison } from './compare-with-previous.js'
import { EventFinisher } from './event-finisher.js'
import { ScienceAnalysis } from './science-analysis.js'
import { ScienceWrites } from './science-writes.js'
import { numberOriginalRows } from './original-numbering.js'
import { PixelSource } from './pixel-source.js'

/**
 * The analyze stage: for each `image_analysis` message, compares the image with the previous image of
 * its stream (the `pixel-diff` analyzer), stores the analysis on the image row and, for an event, an
 * `image_event` row and its difference image, then publishes on `image_event_alert`.
 *
 * Idempotent, so at-least-once delivery gives exactly-once rows: an image already analysed is not
 * analysed again (its event, if any, is finished and republished in case the crash came before); the
 * event row is unique per image (see EventFinisher for the order of its writes and their recovery).
 *
 * Blame goes where the bad bytes are: an image whose own object is missing, corrupt or not the bytes its
 * row recorded (content_sha256) is marked failed; a bad predecessor is marked failed and the image is
 * compared with the last good one before it (PreviousComparison). A service that fails for good (a full disk,
 * a read-only or forbidden store, a database that refuses) blames no image: the stage stops with that error and
 * the image stays `received`, to be analysed once the service is fixed.
 *
 * Pixels come from the context's pixel source (decode cache, receive hand-over, budget), or one of its own.
 *
 * With the context's science (issue 18), a FITS image of a field with a reference is analysed by difference imaging
 * against it instead (ScienceAnalysis: which reference, building one once a field has enough frames); its run is
 * recorded before the analysis, its detections and derivatives with the event (EventFinisher).
 */
export class AnalyzeStage {
  private readonly pixels: PixelSource
  private readonly analyzer: Analyzer
  private readonly writes: AnalysisWrites
  private readonly comparison: PreviousComparison
  private readonly events: EventFinisher
  private readonly science: { analysis: ScienceAnalysis; writes: ScienceWrites } | null
  /** What this process did (not the catalog's totals): how several analyzers shared the work. */
  readonly stats = { analyzed: 0, failed: 0, events: 0 }

  /** `rowWaitMs`: how long a message may wait for its image row to be committed (tests shorten it). */
  constructor(
    private readonly context: StageContext<AnalysisLedger>,
    private readonly options: { rowWaitMs?: number } = {},
  ) {
    this.pixels = context.pixels ?? new PixelSource(context.store, context.analysis)
    // A receive stage in this process hands over the pixels it decoded to validate each image: about one receive
    // window of 350 px images (64 × 0.37 MB) waits there for analysis; larger images mostly miss and are decoded here.
    this.pixels.acceptHandOver()
    this.analyzer = pixelDiff(context.analysis)
    this.writes = new AnalysisWrites(context)
    this.comparison = new PreviousComparison(context, this.pixels, this.analyzer)
    this.science =
      context.science === undefined
        ? null
        : { analysis: new ScienceAnalysis(context, this.pixels, context.science), writes: new ScienceWrites(context, context.science) }
    this.events = new EventFinisher(context, this.writes, this.comparison, this.science)
  }

  /** Finishes and republishes events that never got an alert (a crash mid-way), then consumes. */
  async start(): Promise<Subscription> {
    await this.recover()
    const { topics } = this.context
    return consumeTopic(this.context, 'analyze', { topic: topics.imageAnalysis, group: topics.imageAnalysisGroup }, (message) =>
      this.handle(message),
    )
  }

  recover(): Promise<number> {
    return this.events.recover()
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
      image = await numberOriginalRows(this.context, image, imageNum)
      previous = undefined
    }
    if (image.status === 'failed' || image.status === 'storing') return
    if (image.status === 'analyzed') {
      const event = await catalog.getEventByImageId(imageId)
      if (event !== null) await this.events.finish(event, image)
      return
    }
    try {
      // Rows of the original's client carry no size: counted as nothing (its images are 350 px).
      const comparison = await this.pixels.withBudget(image, () => this.analyze(image, previous))
      await this.record(image, comparison)
      this.stats.analyzed += 1
      this.context.metrics?.increment('imgpipe_images_analyzed_total')
    } catch (error) {
      // Permanent (its own object corrupt, gone or swapped): recorded on the image, and on to the next.
      const failure = await failImage(this.context, imageId, error)
      logger.warn({ imageId, code: failure.code }, `analyze: image ${imageId} failed: ${describeError(failure)}`)
      this.stats.failed += 1
      this.context.metrics?.increment('imgpipe_images_failed_total')
    }
  }

  /** Difference imaging when the image's field has a reference (or gets one now), else pixel-diff against its predecessor. */
  private async analyze(image: ImageRecord, previous: ImageRecord | null | undefined): Promise<Comparison> {
    const reference = this.science === null ? null : await this.science.analysis.reference(image)
    if (this.science === null || reference === null) return this.comparison.compare(image, previous)
    const comparison = await this.science.analysis.analyze(image, reference)
    // Before the analysis row: a redelivery of an image analysed but not recorded finds the reference it used.
    if (comparison.output !== null) await this.science.writes.recordRun(image, comparison.output)
    return comparison
  }

  private async record(image: ImageRecord, comparison: Comparison): Promise<void> {
    // One event at most: image_event is unique per image (see the Analyzer port).
    const raised = comparison.output?.events[0]
    if (raised === undefined) {
      await this.writes.recordAnalysis({ imageId: image.imageId, result: comparison.result, event: null })
      return
    }
    const { event, created } = await this.writes.recordAnalysis({
      imageId: image.imageId,
      result: comparison.result,
      event: {
        imageId: image.imageId,
        differenceImageObjectKey: null,
        eventType: raised.eventType,
        analyzer: (comparison.analyzer ?? this.analyzer).name,
        analyzerVersion: (comparison.analyzer ?? this.analyzer).version,
      },
    })
    if (event === null) return
    if (created) {
      this.stats.events += 1
      this.context.metrics?.increment('imgpipe_events_total')
      this.context.logger.info(
        {
          imageEventId: event.imageEventId,
          stream: image.stream,
          imageNum: image.imageNum,
          changedFraction: comparison.result.changedFraction,
        },
        `analyze: image event ${event.imageEventId} (${event.eventType}) on ${image.stream} image ${image.imageNum}`,
      )
    }
    await this.events.finish(event, image, comparison.output ?? undefined)
  }
}
