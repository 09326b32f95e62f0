import { objectLedgerDeps } from '../../analysis/association/ledger-deps.js'
import { DIFFIM_ANALYZER } from '../../analysis/diffim/diffim-analyzer.js'
import { decodeReferenceFile } from '../../analysis/diffim/reference-file.js'
import type { AnalysisOptions } from '../../core/analysis-options.js'
import type { AnalyzerImage } from '../../core/ports/analyzer.js'
import type { Catalog } from '../../core/ports/catalog.js'
import { NotFoundError } from '../../core/errors.js'
import { DEFAULT_REAL_BOGUS_MIN, type ScienceOptions } from '../../core/science-options.js'
import { pooledDiffimAnalyzer, SciencePool, type SciencePoolOptions } from './science-pool.js'
import type { BuiltReferenceFile, ScienceCompute, ScienceContext } from './science-context.js'

/** The science compute over a worker pool (science-pool.ts): what an analyze process and `imgpipe reference` use. */
export interface PooledScience extends ScienceCompute {
  close(): Promise<void>
}

/** The settings' defaults, for an analysis configured without them (tests, benches). */
const SCIENCE_DEFAULTS: ScienceOptions = { referenceFrames: 3, fakesPerImage: 20, detectionSnr: 5, realBogusMin: DEFAULT_REAL_BOGUS_MIN }

/**
 * `maxPixels`: IMGPIPE_MAX_IMAGE_PIXELS, the bound of each HDU of a reference file read back. The pool (its worker
 * threads) starts at the first science image: a process that only ever sees pictures never starts it.
 */
export function pooledScience(options: SciencePoolOptions, maxPixels: number): PooledScience {
  let pool: SciencePool | null = null
  const started = (): SciencePool => (pool ??= new SciencePool(options))
  return {
    // The pool starts on the first call, not here: the analyzer's name and version are needed before.
    analyzer: { ...DIFFIM_ANALYZER, analyze: (input) => pooledDiffimAnalyzer(started(), { keepPixels: true }).analyze(input) },
    analyze: (input, givesUp) => pooledDiffimAnalyzer(started(), { keepPixels: !givesUp }).analyze(input),
    async buildReference(frames: readonly AnalyzerImage[]): Promise<BuiltReferenceFile> {
      const given = frames.map(({ record, pixels }) => {
        if (record.observation === null) throw new NotFoundError(`image ${record.imageId} has no FITS header: no reference from it`)
        // The pool takes the frames' buffers; these pixels may be in the decode cache, so it gets copies.
        const copy = { width: pixels.width, height: pixels.height, data: Float32Array.from(pixels.data as Float32Array) }
        return { image: copy, header: record.observation.header }
      })
      const bytes = await started().buildReference(given)
      const { fwhm, frames: count } = decodeReferenceFile(bytes, 0, maxPixels)
      return { bytes, fwhm, frames: count }
    },
    readReference: (referenceId, bytes) => decodeReferenceFile(bytes, referenceId, maxPixels),
    close: async () => {
      await pool?.close()
      pool = null
    },
  }
}

/** Difference imaging's context on a catalog, with the settings of `analysis` (the pool's owner closes `compute`). */
export function openScience(
  catalog: Pick<Catalog, 'scienceLedger' | 'objectLedger'>,
  analysis: AnalysisOptions,
): ScienceContext & { compute: PooledScience } {
  const options = analysis.science ?? SCIENCE_DEFAULTS
  const diffim = { fakes: options.fakesPerImage, threshold: options.detectionSnr, realBogusThreshold: options.realBogusMin }
  return {
    ledger: catalog.scienceLedger(),
    objects: catalog.objectLedger(objectLedgerDeps),
    compute: pooledScience({ diffim }, analysis.maxImagePixels),
    options,
  }
}
