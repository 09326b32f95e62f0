import { InternalError } from '../core/errors.js'
import { assertRawImage } from './decode-image.js'
import type { RawImage } from './decode-image.js'

/** How different two images of the same size are. */
export interface ImageMetrics {
  /**
   * Euclidean norm of the per-channel signed difference, the original's `numpy.linalg.norm(image - previous)`.
   * Computed on signed values: numpy subtracting two uint8 arrays would wrap around (3 − 5 = 254).
   */
  l2Norm: number
  /** Fraction (0..1) of pixels whose largest channel |difference| is greater than `pixelTolerance`. */
  changedFraction: number
  /** Largest |difference| over all pixels and channels (0..255). */
  maxAbsDifference: number
}

/** Throws unless both images have the same size (resize first; see `analyzePair`). */
export function assertSameSize(previous: RawImage, current: RawImage): void {
  assertRawImage(previous)
  assertRawImage(current)
  if (previous.width !== current.width || previous.height !== current.height) {
    throw new InternalError(
      `cannot compare images of different sizes: ${previous.width}x${previous.height} and ${current.width}x${current.height}`,
    )
  }
}

/** The signed per-channel difference current − previous at its extremes: what the difference image is scaled by. */
export interface DifferenceRange {
  minDifference: number
  maxDifference: number
}

/**
 * Compares two decoded images of the same size in one pass over their bytes (about 1.5 ms for 350×350 pixels):
 * the metrics, plus the range of the signed difference from the same pass — the difference image needs it, and a
 * second pass over both images only for it cost about a millisecond per 350×350 event.
 */
export function measureDifference(
  previous: RawImage,
  current: RawImage,
  options: { pixelTolerance: number },
): ImageMetrics & DifferenceRange {
  assertSameSize(previous, current)
  const tolerance = options.pixelTolerance
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new InternalError(`pixelTolerance must be a number ≥ 0, got ${tolerance}`)
  const a = previous.data
  const b = current.data
  const length = b.length
  const below = -tolerance
  // Integers all the way: sums stay exact (< 2^53) up to ~10^11 pixels, far beyond maxImagePixels.
  // A pixel's largest |difference| exceeds the tolerance iff its largest signed difference does or its smallest is
  // below −tolerance: tracking the signed extremes (which the difference image needs) makes the absolute values
  // unnecessary, and this shape of the loop measured 35% faster than the one taking |d| per channel.
  let sumSquares = 0
  let changed = 0
  let min = 255
  let max = -255
  for (let i = 0; i < length; i += 3) {
    const d0 = b[i]! - a[i]!
    const d1 = b[i + 1]! - a[i + 1]!
    const d2 = b[i + 2]! - a[i + 2]!
    sumSquares += d0 * d0 + d1 * d1 + d2 * d2
    const low = Math.min(d0, d1, d2)
    const high = Math.max(d0, d1, d2)
    changed += high > tolerance || low < below ? 1 : 0
    min = low < min ? low : min
    max = high > max ? high : max
  }
  const pixels = length / 3
  return {
    l2Norm: Math.sqrt(sumSquares),
    changedFraction: pixels === 0 ? 0 : changed / pixels,
    maxAbsDifference: Math.max(max, -min),
    minDifference: min,
    maxDifference: max,
  }
}
