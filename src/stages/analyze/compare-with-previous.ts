import { describeError, NotFoundError } from '../../core/errors.js'
import type { AnalysisPixels, Analyzer, AnalyzerOutput } from '../../core/ports/analyzer.js'
import type { AnalysisResult, ImageRecord } from '../../core/types.js'
import type { AnalysisLedger } from '../../core/ports/analysis-ledger.js'
import type { StageContext } from '../stage-context.js'
import { ROW_WAIT_MS } from '../wait-for-row.js'
import { failImage } from './blame.js'
import type { PixelSource } from './pixel-source.js'

/** Analysis of one image against its predecessor, before anything is written. */
export interface Comparison {
  result: AnalysisResult
  /** What the analyzer said; null when there was nothing to compare or the bytes were identical. */
  output: AnalyzerOutput | null
  /** Who made `output` when it was not the stage's pixel-diff (difference imaging). */
  analyzer?: Analyzer
}

/**
 * The comparison loop: finds the last good image before `image` in its stream — skipping (and failing) predecessors
 * whose own object is bad, waiting for one still being stored — gets both images' pixels from the pixel source and
 * hands them to the analyzer. `known`: the predecessor the caller already read (undefined: look it up).
 */
export class PreviousComparison {
  constructor(
    private readonly context: StageContext<AnalysisLedger>,
    private readonly pixels: PixelSource,
    private readonly analyzer: Analyzer,
  ) {}

  async compare(image: ImageRecord, known: ImageRecord | null | undefined): Promise<Comparison> {
    if (image.imageNum === null) return nothing() // nothing to compare by
    const current = await this.pixels.pixels(image) // first: a bad own object is this image's failure
    this.pixels.lease(current, 1)
    try {
      return await this.compareWith(image, image.imageNum, current, known)
    } finally {
      this.pixels.lease(current, -1)
    }
  }

  /** Runs the analyzer again on a pair it compared before (recovery: the event's difference image, made again). */
  async reanalyze(previous: ImageRecord, image: ImageRecord): Promise<AnalyzerOutput> {
    const before = await this.pixels.pixels(previous)
    const after = await this.pixels.pixels(image)
    return this.analyzer.analyze({ image: { record: image, pixels: after }, previous: { record: previous, pixels: before } })
  }

  private async compareWith(
    image: ImageRecord,
    imageNum: number,
    current: AnalysisPixels,
    known: ImageRecord | null | undefined,
  ): Promise<Comparison> {
    for (let before = imageNum, first = true; ; first = false) {
      const previous = first && known !== undefined ? known : await this.context.catalog.findPreviousImage(image.stream, before)
      if (previous === null || previous.imageNum === null) return nothing()
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
        return { result: { ...resultOf(previous.imageId, null), l2Norm: 0, changedFraction: 0, maxAbsDifference: 0 }, output: null }
      }
      const pixels = await this.previousPixels(previous)
      if (pixels === null) continue
      this.pixels.lease(pixels, 1)
      try {
        // Handlers run concurrently: the previous image is ours to overwrite with the difference only when nobody
        // else holds it.
        const previousExpendable = this.pixels.soleHolder(pixels) && pixels !== current
        const output = await this.analyzer.analyze({
          image: { record: image, pixels: current },
          previous: { record: previous, pixels },
          previousExpendable,
        })
        return { result: resultOf(previous.imageId, output), output }
      } finally {
        this.pixels.lease(pixels, -1)
      }
    }
  }

  /** The predecessor's pixels (taken out of the cache: this comparison is their last use), or null after marking it failed when its own object is bad. */
  private async previousPixels(previous: ImageRecord): Promise<AnalysisPixels | null> {
    try {
      return await this.pixels.pixels(previous, true)
    } catch (error) {
      const failure = await failImage(this.context, previous.imageId, error)
      this.context.logger.warn(
        { imageId: previous.imageId, code: failure.code },
        `analyze: previous image ${previous.imageId} failed, comparing with the one before: ${describeError(failure)}`,
      )
      return null
    }
  }
}

function nothing(): Comparison {
  return { result: resultOf(null, null), output: null }
}

function resultOf(previousImageId: number | null, output: AnalyzerOutput | null): AnalysisResult {
  return {
    previousImageId,
    l2Norm: output?.measurements.l2Norm ?? null,
    changedFraction: output?.measurements.changedFraction ?? null,
    maxAbsDifference: storedMaxAbsDifference(output?.measurements.maxAbsDifference ?? null),
    analyzedAt: new Date(),
  }
}

/**
 * `image.max_abs_difference` is an integer column (0..255 for pictures); a FITS frame's difference is in ADU, a
 * fraction: PostgreSQL refuses "3248.64" for an integer (SQLite kept it, MariaDB rounds). Rounded here, for both
 * analyzers, until the column holds floats.
 */
export function storedMaxAbsDifference(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : Math.round(value)
}
