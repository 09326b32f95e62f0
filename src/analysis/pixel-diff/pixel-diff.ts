import {
  isFloatPixels,
  type AnalysisPixels,
  type Analyzer,
  type AnalyzerInput,
  type AnalyzerOutput,
  type Measurements,
} from '../../core/ports/analyzer.js'
import { ANALYZER, analyzePair, type PairAnalysis, type PairAnalysisOptions } from '../analyze-pair.js'
import type { FloatImage } from '../float-image.js'
import { analyzeFloatPair, pictureAsFloat } from './float-pixel-diff.js'

/** The derivative an event of pixel-diff is shown with. */
const DIFFERENCE = 'difference'

/**
 * `pixel-diff`, the first {@link Analyzer}: the original's comparison of an image with the previous image of its
 * stream. Pictures are compared in 8-bit RGB (see `analyzePair`), science images in float pixels (see
 * `float-pixel-diff.ts`); a pair of one of each is compared as floats. Recorded under the name and version events
 * always had (`imgpipe-pixel-diff` 1.0.0), so existing rows and the original's viewer see no change.
 */
export function pixelDiff(options: Omit<PairAnalysisOptions, 'consumePrevious'>): Analyzer {
  return {
    name: ANALYZER.name,
    version: ANALYZER.version,
    async analyze(input: AnalyzerInput): Promise<AnalyzerOutput> {
      if (input.previous === null) return { measurements: NOTHING_COMPARED, events: [], derivatives: [] }
      const pair = await comparePixels(input.previous.pixels, input.image.pixels, {
        ...options,
        consumePrevious: input.previousExpendable === true,
      })
      return outputOf(pair)
    },
  }
}

const NOTHING_COMPARED: Measurements = { l2Norm: null, changedFraction: null, maxAbsDifference: null }

/** Dispatches on the pixels' kind: both pictures → 8-bit comparison; anything float → float comparison. */
async function comparePixels(previous: AnalysisPixels, current: AnalysisPixels, options: PairAnalysisOptions): Promise<PairAnalysis> {
  if (!isFloatPixels(previous) && !isFloatPixels(current)) return analyzePair(previous, current, options)
  // A converted picture is ours alone: overwriting it is always safe.
  const before = isFloatPixels(previous) ? previous : pictureAsFloat(previous)
  const after: FloatImage = isFloatPixels(current) ? current : pictureAsFloat(current)
  return analyzeFloatPair(before, after, {
    eventThreshold: options.eventThreshold,
    consumePrevious: options.consumePrevious === true || before !== previous,
  })
}

function outputOf(pair: PairAnalysis): AnalyzerOutput {
  const { l2Norm, changedFraction, maxAbsDifference } = pair.metrics
  const measurements = { l2Norm, changedFraction, maxAbsDifference }
  if (pair.event === null) return { measurements, events: [], derivatives: [] }
  return {
    measurements,
    events: [{ eventType: pair.event.eventType, derivative: DIFFERENCE }],
    derivatives: [{ name: DIFFERENCE, bytes: pair.event.differenceJpeg, contentType: 'image/jpeg' }],
  }
}
