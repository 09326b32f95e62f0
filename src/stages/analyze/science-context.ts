import type { Analyzer, AnalyzerImage, AnalyzerInput, AnalyzerOutput, AnalyzerReference } from '../../core/ports/analyzer.js'
import type { ObjectLedger } from '../../core/ports/object-ledger.js'
import type { ScienceLedger } from '../../core/ports/science-ledger.js'
import type { ScienceOptions } from '../../core/science-options.js'

/** A reference made from frames, as a FITS file (analysis/diffim/reference-file.ts) and what to record of it. */
export interface BuiltReferenceFile {
  readonly bytes: Buffer
  readonly fwhm: number
  readonly frames: number
}

/**
 * The pixel work of difference imaging as the analyze stage calls it: the diffim analyzer and the reference builder,
 * both off the event loop (science-pool.ts), and the reference file's reader. Injected so that a stage test runs
 * the same code in-process.
 */
export interface ScienceCompute {
  /** The `diffim` analyzer (its name and version are recorded with each event; its `analyze` keeps the pixels). */
  readonly analyzer: Analyzer
  /**
   * The analyzer's work on `input.image` against `input.reference`; `givesUp`: nobody else holds the science pixels,
   * so they may be handed to a worker thread (detached) instead of copied.
   */
  analyze(input: AnalyzerInput, givesUp: boolean): Promise<AnalyzerOutput>
  /** A reference from frames of one field and filter (the oldest frame's grid), as a FITS file; the frames are kept. */
  buildReference(frames: readonly AnalyzerImage[]): Promise<BuiltReferenceFile>
  /** A stored reference file as the analyzer takes it. */
  readReference(referenceId: number, bytes: Buffer): AnalyzerReference
}

/**
 * What the analyze stage needs for difference imaging, beside its AnalysisLedger: the science and object ledgers on
 * the same database, the compute, and the settings. Without it every image is analysed by pixel-diff, as before.
 */
export interface ScienceContext {
  readonly ledger: ScienceLedger
  readonly objects: ObjectLedger
  readonly compute: ScienceCompute
  readonly options: ScienceOptions
}
