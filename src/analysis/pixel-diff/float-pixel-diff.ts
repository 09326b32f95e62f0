/**
 * The pixel-difference comparison in float pixels, for science images (FITS): never through an 8-bit conversion, so
 * faint changes a display stretch would flatten still count, and masked pixels stay masked.
 *
 * What the metrics mean for floats (d = current − previous, pixel by pixel):
 * - Masked pixels — NaN (FITS `BLANK` or NaN) or ±Infinity in either image — are left out of everything: the metrics
 *   are over the pixels both images have ("compared pixels").
 * - σ, the noise of the difference: 1.4826 × the median absolute deviation of d from its median, on an even sample
 *   of at most {@link NOISE_SAMPLES} compared pixels — robust, so the changes themselves (a few stars' worth of
 *   pixels) do not inflate it. When more than half the sample is equal (MAD 0: synthetic or heavily quantised
 *   data), the sample's RMS deviation stands in; when that is 0 too, any non-zero deviation is a change.
 * - A pixel is changed when |d − median(d)| > {@link CHANGE_SIGMAS} σ. The median is taken out so that a change of
 *   sky level between exposures (clouds, moon) is not a change of every pixel; a Gaussian noise pixel passes 5 σ
 *   with probability 6 × 10⁻⁷ (about 10 pixels of a 4096² frame).
 * - changedFraction = changed / compared pixels (0 when nothing can be compared); the event rule is the same as for
 *   pictures, changedFraction > eventThreshold. `pixelTolerance` (8-bit levels) does not apply.
 * - l2Norm = √Σd² and maxAbsDifference = max |d|, in the image's own units (ADU, e⁻, …), not 0..255.
 * - Different sizes: the previous image is resampled to the current size (nearest pixel) for the metrics, and the
 *   event is `size_changed` whatever they say, as for pictures.
 *
 * The difference image for viewers and alert channels is d shown as an 8-bit JPEG with the astronomers' display
 * stretch (zscale interval, asinh), masked pixels in the preview's mask colour, FITS row 1 at the bottom.
 */
import { InternalError } from '../../core/errors.js'
import type { PicturePixels } from '../../core/ports/analyzer.js'
import { encodeJpeg } from '../difference-image.js'
import { preview } from '../display/preview.js'
import type { FloatImage } from '../float-image.js'
import type { PairAnalysis } from '../analyze-pair.js'

/** A pixel is changed beyond this many σ of the difference's noise. */
export const CHANGE_SIGMAS = 5

/** Pixels sampled for σ: enough for a median to ~0.5 %, a sort of 0.8 MB whatever the image size. */
const NOISE_SAMPLES = 100_000

/** 1/Φ⁻¹(3/4): MAD × this is σ for Gaussian noise. */
const MAD_TO_SIGMA = 1.4826

export interface FloatDifference {
  l2Norm: number
  changedFraction: number
  maxAbsDifference: number
  /** The noise σ of d the change threshold was set from, image units. */
  sigma: number
  /** The median of d (the sky level change), taken out before thresholding. */
  median: number
  /** Pixels finite in both images. */
  comparedPixels: number
  changedPixels: number
}

/** The noise of d = b − a from an even sample of the pixels both have: its median and robust σ. */
function differenceNoise(a: Float32Array, b: Float32Array): { median: number; sigma: number } {
  const n = b.length
  // Odd, so that the sample does not line up with columns of an image whose width divides it.
  const stride = Math.max(1, Math.floor(n / NOISE_SAMPLES)) | 1
  const sample = new Float64Array(Math.ceil(n / stride))
  let count = 0
  for (let i = 0; i < n; i += stride) {
    const d = b[i]! - a[i]!
    if (d - d === 0) sample[count++] = d
  }
  if (count === 0) return { median: 0, sigma: 0 }
  const taken = sample.subarray(0, count).sort()
  const median = medianOfSorted(taken)
  let sumSquares = 0
  for (let k = 0; k < count; k++) {
    const deviation = taken[k]! - median
    sumSquares += deviation * deviation
    taken[k] = deviation < 0 ? -deviation : deviation
  }
  const mad = medianOfSorted(taken.sort())
  const sigma = mad > 0 ? MAD_TO_SIGMA * mad : Math.sqrt(sumSquares / count)
  return { median, sigma }
}

function medianOfSorted(sorted: Float64Array): number {
  const half = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2
}

/** The metrics above for two float images of the same size, in one pass after the noise sample. */
export function measureFloatDifference(previous: FloatImage, current: FloatImage): FloatDifference {
  assertSameFloatSize(previous, current)
  const a = previous.data
  const b = current.data
  const { median, sigma } = differenceNoise(a, b)
  const threshold = CHANGE_SIGMAS * sigma
  const upper = median + threshold
  const lower = median - threshold
  let sumSquares = 0
  let maxAbs = 0
  let compared = 0
  let changed = 0
  for (let i = 0, n = b.length; i < n; i++) {
    const d = b[i]! - a[i]!
    // d − d is 0 for finite d, NaN for NaN and ±Infinity (either image masked there): one subtraction, no call.
    if (d - d !== 0) continue
    compared++
    sumSquares += d * d
    const abs = d < 0 ? -d : d
    maxAbs = abs > maxAbs ? abs : maxAbs
    changed += d > upper || d < lower ? 1 : 0
  }
  return {
    l2Norm: Math.sqrt(sumSquares),
    changedFraction: compared === 0 ? 0 : changed / compared,
    maxAbsDifference: maxAbs,
    sigma,
    median,
    comparedPixels: compared,
    changedPixels: changed,
  }
}

/**
 * d = current − previous as a float image, NaN where either is masked. `overwritePrevious`: written into
 * `previous.data` (each pixel read before it is written), for a caller that gives the previous pixels up.
 */
export function floatDifference(previous: FloatImage, current: FloatImage, overwritePrevious = false): FloatImage {
  assertSameFloatSize(previous, current)
  const a = previous.data
  const b = current.data
  const out = overwritePrevious ? a : new Float32Array(b.length)
  // NaN − x and x − NaN are NaN, and Infinity − Infinity too: masked pixels stay masked without a test.
  for (let i = 0, n = b.length; i < n; i++) out[i] = b[i]! - a[i]!
  return { width: current.width, height: current.height, data: out }
}

/** The difference image as viewers and alert channels take it: zscale + asinh, 8-bit RGB, JPEG. */
export async function floatDifferenceJpeg(difference: FloatImage): Promise<Buffer> {
  const shown = preview(difference, { stretch: 'asinh' })
  return encodeJpeg({ width: shown.width, height: shown.height, channels: 3, data: shown.data })
}

/**
 * Compares a float image with its predecessor (see the module comment). `consumePrevious`: the caller gives
 * `previous` up, and its buffer may become the difference.
 */
export async function analyzeFloatPair(
  previous: FloatImage,
  current: FloatImage,
  options: { eventThreshold: number; consumePrevious?: boolean },
): Promise<PairAnalysis> {
  const { eventThreshold } = options
  if (!Number.isFinite(eventThreshold) || eventThreshold < 0 || eventThreshold > 1) {
    throw new InternalError(`eventThreshold must be a number from 0 to 1, got ${eventThreshold}`)
  }
  const sizeChanged = previous.width !== current.width || previous.height !== current.height
  const base = sizeChanged ? resampleNearest(previous, current.width, current.height) : previous
  const measured = measureFloatDifference(base, current)
  const metrics = {
    l2Norm: measured.l2Norm,
    changedFraction: measured.changedFraction,
    maxAbsDifference: measured.maxAbsDifference,
    sizeChanged,
  }
  if (!sizeChanged && !(metrics.changedFraction > eventThreshold)) return { metrics, event: null }
  // A resampled base is ours alone, so it is always safe to overwrite.
  const difference = floatDifference(base, current, sizeChanged || options.consumePrevious === true)
  const differenceJpeg = await floatDifferenceJpeg(difference)
  return { metrics, event: { eventType: sizeChanged ? 'size_changed' : 'changed', differenceJpeg } }
}

/** `image` at another size, each pixel the nearest source pixel (masks stay masked; no interpolation across them). */
export function resampleNearest(image: FloatImage, width: number, height: number): FloatImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InternalError(`resample size must be positive integers, got ${width}x${height}`)
  }
  const columns = new Int32Array(width)
  for (let x = 0; x < width; x++) columns[x] = Math.min(image.width - 1, Math.floor(((x + 0.5) * image.width) / width))
  const data = new Float32Array(width * height)
  const source = image.data
  for (let y = 0; y < height; y++) {
    const from = Math.min(image.height - 1, Math.floor(((y + 0.5) * image.height) / height)) * image.width
    const to = y * width
    for (let x = 0; x < width; x++) data[to + x] = source[from + columns[x]!]!
  }
  return { width, height, data }
}

/**
 * A picture's pixels as one float band (the mean of its channels, 0..255), for a stream whose predecessor is a
 * picture and whose image is FITS, or the other way round: compared as floats rather than failing the image.
 */
export function pictureAsFloat(picture: PicturePixels): FloatImage {
  const { width, height } = picture
  const source = picture.data
  const data = new Float32Array(width * height)
  for (let i = 0, j = 0; i < data.length; i++, j += 3) data[i] = (source[j]! + source[j + 1]! + source[j + 2]!) / 3
  return { width, height, data }
}

function assertSameFloatSize(previous: FloatImage, current: FloatImage): void {
  for (const image of [previous, current]) {
    if (image.data.length !== image.width * image.height) {
      throw new InternalError(`float image ${image.width}x${image.height} holds ${image.data.length} pixels`)
    }
  }
  if (previous.width !== current.width || previous.height !== current.height) {
    throw new InternalError(
      `cannot compare images of different sizes: ${previous.width}x${previous.height} and ${current.width}x${current.height}`,
    )
  }
}
