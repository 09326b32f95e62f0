import { describeError, NotFoundError, toImgpipeError } from '../../core/errors.js'
import { differenceImageObjectKey } from '../../core/object-keys.js'
import type { AnalyzerOutput } from '../../core/ports/analyzer.js'
import type { ImageEventRecord, ImageRecord } from '../../core/types.js'
import type { AnalysisLedger } from '../../core/ports/analysis-ledger.js'
import { forEachPendingPage, retrying, type StageContext } from '../stage-context.js'
import type { AnalysisWrites } from './analysis-writes.js'
import type { PreviousComparison } from './compare-with-previous.js'
import type { ScienceAnalysis } from './science-analysis.js'
import type { ScienceWrites } from './science-writes.js'

/** Difference imaging's part of finishing an event, when the stage does difference imaging. */
export interface ScienceFinishing {
  readonly analysis: ScienceAnalysis
  readonly writes: ScienceWrites
}

/**
 * The second half of an event, and its recovery. The difference image is named after the event's id, as the
 * original names it, so the event row is inserted first without a key, then the object is put, then the key set,
 * then the alert published; `recover()` finishes events whose key is still NULL (a crash mid-way) and republishes
 * those that never got an alert.
 *
 * A difference-imaging event has more to it, written before its key (the key marks the event finished, so recovery
 * redoes all of it, each write idempotent): its detections associated with objects and tied to it, and its other
 * derivatives (noise map, stamps) stored and recorded. Recovery recomputes them by running diffim again against the
 * reference its run recorded (the same seed: the same fakes, the same detections).
 */
export class EventFinisher {
  constructor(
    private readonly context: StageContext<AnalysisLedger>,
    private readonly writes: AnalysisWrites,
    private readonly comparison: PreviousComparison,
    private readonly science: ScienceFinishing | null = null,
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
   * Stores the difference image (and a diffim event's detections and other derivatives) under the event's own name,
   * sets its key, publishes the alert. Without the analyzer's output in hand (recovery, a redelivered message), the
   * image is analysed again as it was: against its predecessor, or against its run's reference.
   */
  async finish(event: ImageEventRecord, image: ImageRecord, output?: AnalyzerOutput, publish = true): Promise<void> {
    let finished = event
    if (finished.differenceImageObjectKey === null) {
      const made = output ?? (await this.recompute(event, image))
      const name = made.events[0]?.derivative
      const shown = made.derivatives.find((candidate) => candidate.name === name)
      if (name === undefined || shown === undefined) throw new NotFoundError(`image ${image.imageId} no longer raises its event`)
      if (this.science !== null && made.detections !== undefined) await this.science.writes.finishEvent(event, image, made, name)
      const key = differenceImageObjectKey(image.stream, event.imageEventId)
      await this.context.store.put(key, shown.bytes, { contentType: shown.contentType })
      finished = await this.writes.setDifferenceKey(event.imageEventId, key)
    }
    if (publish) await this.writes.publishAlert(finished, image)
  }

  private async recompute(event: ImageEventRecord, image: ImageRecord): Promise<AnalyzerOutput> {
    if (this.science !== null && event.analyzer === this.science.analysis.analyzer.name) {
      return this.science.analysis.reanalyze(image)
    }
    const previous = image.previousImageId === null ? null : await this.context.catalog.getImage(image.previousImageId)
    if (previous === null) throw new NotFoundError(`image ${image.imageId} has an event but no previous image to compare with`)
    const output = await this.comparison.reanalyze(previous, image)
    if (output.events.length === 0) throw new NotFoundError(`image ${image.imageId} no longer differs from image ${previous.imageId}`)
    return output
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
