import { describeError, NotFoundError, toImgpipeError } from '../../core/errors.js'
import { differenceImageObjectKey } from '../../core/object-keys.js'
import type { Derivative } from '../../core/ports/analyzer.js'
import type { ImageEventRecord, ImageRecord } from '../../core/types.js'
import type { AnalysisLedger } from '../../core/ports/analysis-ledger.js'
import { forEachPendingPage, retrying, type StageContext } from '../stage-context.js'
import type { AnalysisWrites } from './analysis-writes.js'
import type { PreviousComparison } from './compare-with-previous.js'

/**
 * The second half of an event, and its recovery. The difference image is named after the event's id, as the
 * original names it, so the event row is inserted first without a key, then the object is put, then the key set,
 * then the alert published; `recover()` finishes events whose key is still NULL (a crash mid-way) and republishes
 * those that never got an alert.
 */
export class EventFinisher {
  constructor(
    private readonly context: StageContext<AnalysisLedger>,
    private readonly writes: AnalysisWrites,
    private readonly comparison: PreviousComparison,
  ) {}

  /** Finishes and republishes what a crash left unfinished; returns how many events were republished. */
  async recover(): Promise<number> {
    const { catalog, logger } = this.context
    const finished = await forEachPendingPage(
      this.context,
      (page) => catalog.listEventsWithoutKey(page),
      (event) => event.imageEventId,
      async (events) => {
        for (const event of events) await this.finishOrLog(event)
      },
    )
    if (finished > 0) logger.info({ finished }, 'analyze: finished events without a difference image')
    const republished = await forEachPendingPage(
      this.context,
      (page) => catalog.listEventsWithoutAlert(page),
      (event) => event.imageEventId,
      async (events) => {
        for (const event of events) await retrying(this.context, 'republish', () => this.writes.publishAlert(event))
      },
    )
    if (republished > 0) logger.info({ republished }, 'analyze: republished events awaiting an alert')
    return republished
  }

  /**
   * Stores the difference image under the event's own name, sets its key, publishes the alert. Without the
   * image in hand (recovery, a redelivered message), the pair is analysed again from the image and the predecessor
   * it was compared with.
   */
  async finish(event: ImageEventRecord, image: ImageRecord, derivative?: Derivative, publish = true): Promise<void> {
    let finished = event
    if (finished.differenceImageObjectKey === null) {
      const shown = derivative ?? (await this.recomputeDerivative(image))
      const key = differenceImageObjectKey(image.stream, event.imageEventId)
      await this.context.store.put(key, shown.bytes, { contentType: shown.contentType })
      finished = await this.writes.setDifferenceKey(event.imageEventId, key)
    }
    if (publish) await this.writes.publishAlert(finished, image)
  }

  private async recomputeDerivative(image: ImageRecord): Promise<Derivative> {
    const previous = image.previousImageId === null ? null : await this.context.catalog.getImage(image.previousImageId)
    if (previous === null) throw new NotFoundError(`image ${image.imageId} has an event but no previous image to compare with`)
    const output = await this.comparison.reanalyze(previous, image)
    const event = output.events[0]
    const derivative = output.derivatives.find((candidate) => candidate.name === event?.derivative)
    if (derivative === undefined) throw new NotFoundError(`image ${image.imageId} no longer differs from image ${previous.imageId}`)
    return derivative
  }

  private async finishOrLog(event: ImageEventRecord): Promise<void> {
    try {
      const image = await this.context.catalog.getImage(event.imageId)
      if (image === null) return
      // Not published here: the republishing pass of recover() that follows sends it once.
      await retrying(this.context, 'event finish', () => this.finish(event, image, undefined, false))
    } catch (error) {
      if (this.context.signal.aborted) throw error
      const failure = toImgpipeError(error)
      this.context.logger.warn(
        { imageEventId: event.imageEventId, code: failure.code },
        `analyze: event ${event.imageEventId} has no difference image: ${describeError(failure)}`,
      )
    }
  }
}
