import { NotFoundError } from '../../core/errors.js'
import type { AnalysisLedger } from '../../core/ports/analysis-ledger.js'
import type { AnalyzerOutput } from '../../core/ports/analyzer.js'
import { isFloatPixels } from '../../core/ports/analyzer.js'
import type { ReferenceRecord } from '../../core/ports/science-ledger.js'
import type { ImageRecord } from '../../core/types.js'
import type { StageContext } from '../stage-context.js'
import { referenceKeyOf } from './choose-analyzer.js'
import { storedMaxAbsDifference, type Comparison } from './compare-with-previous.js'
import { ReferenceBuilder } from './reference-builder.js'
import { ReferenceSource } from './reference-source.js'
import type { PixelSource } from './pixel-source.js'
import type { ScienceContext } from './science-context.js'

/**
 * Difference imaging in the analyze stage: which reference a science image is analysed against (the one its run
 * recorded, when a redelivery finds one; else the field's latest ready one; else one built now when the field has
 * enough frames), and the analysis itself through the science compute. An image without a usable reference is left
 * to pixel-diff (`reference` returns null).
 */
export class ScienceAnalysis {
  private readonly references: ReferenceSource
  readonly builder: ReferenceBuilder

  constructor(
    context: StageContext<AnalysisLedger>,
    private readonly pixels: PixelSource,
    private readonly science: ScienceContext,
  ) {
    this.references = new ReferenceSource(context.store, science.compute)
    this.builder = new ReferenceBuilder({ catalog: context.catalog, store: context.store, pixels, science, logger: context.logger })
  }

  get analyzer(): ScienceContext['compute']['analyzer'] {
    return this.science.compute.analyzer
  }

  /** The reference to analyse `image` against, or null for pixel-diff. */
  async reference(image: ImageRecord): Promise<ReferenceRecord | null> {
    const key = referenceKeyOf(image)
    if (key === null) return null
    const { ledger, options } = this.science
    // A redelivered image whose run was recorded before a crash keeps that run's reference (a newer version may exist).
    const run = await ledger.getDiffimRun(image.imageId)
    if (run !== null) return ledger.getReference(run.referenceId)
    return (await ledger.latestReference(key)) ?? (await this.builder.autoBuild(image, key, options.referenceFrames))
  }

  async analyze(image: ImageRecord, reference: ReferenceRecord): Promise<Comparison> {
    const output = await this.run(image, reference)
    return {
      result: {
        previousImageId: null,
        l2Norm: output.measurements.l2Norm,
        changedFraction: output.measurements.changedFraction,
        maxAbsDifference: storedMaxAbsDifference(output.measurements.maxAbsDifference),
        analyzedAt: new Date(),
      },
      output,
      analyzer: this.science.compute.analyzer,
    }
  }

  /** Recovery: the analysis again, against the reference its run recorded (the fakes' seed is the image's: identical). */
  async reanalyze(image: ImageRecord): Promise<AnalyzerOutput> {
    const run = await this.science.ledger.getDiffimRun(image.imageId)
    if (run === null) throw new NotFoundError(`image ${image.imageId} has a diffim event but no diffim run`)
    const reference = await this.science.ledger.getReference(run.referenceId)
    if (reference === null) throw new NotFoundError(`reference ${run.referenceId} of image ${image.imageId} is gone`)
    return this.run(image, reference)
  }

  private async run(image: ImageRecord, record: ReferenceRecord): Promise<AnalyzerOutput> {
    const reference = await this.references.load(record)
    // Its last use: the image after it is analysed against the reference too, never against this one.
    const pixels = await this.pixels.pixels(image, true)
    if (!isFloatPixels(pixels)) throw new NotFoundError(`image ${image.imageId} is not a FITS image`)
    this.pixels.lease(pixels, 1)
    try {
      const input = { image: { record: image, pixels }, previous: null, reference }
      return await this.science.compute.analyze(input, this.pixels.soleHolder(pixels))
    } finally {
      this.pixels.lease(pixels, -1)
    }
  }
}
