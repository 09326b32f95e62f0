import sharp from 'sharp'
import { InternalError } from '../core/errors.js'
import { assertSameSize, type DifferenceRange } from './compare-images.js'
import { assertRawImage } from './decode-image.js'
import type { RawImage } from './decode-image.js'

/**
 * The original's difference image: the signed difference current − previous, min–max scaled to 0..255
 * over the whole image (all channels together, so colours keep their relative weight). Where nothing
 * changed the result is therefore a uniform mid-grey, not black; when the difference is the same
 * everywhere (max == min, e.g. identical images) the result is all 0.
 *
 * Scaling: round((d − min) × 255 / (max − min)), through a 511-entry lookup table so that the second
 * pass is a table read per byte.
 *
 * `overwritePrevious`: write the result into `previous.data` instead of a new buffer (each byte is read
 * before it is written), for a caller that owns `previous` and no longer needs it — one full-size buffer
 * less, 147 MB for a 7000×7000 image.
 *
 * `range`: the extremes of the signed difference when the caller has them (see `measureDifference`), sparing
 * the pass that finds them.
 */
export function differenceImage(previous: RawImage, current: RawImage, overwritePrevious = false, range?: DifferenceRange): RawImage {
  assertSameSize(previous, current)
  const a = previous.data
  const b = current.data
  const length = b.length
  const { minDifference: min, maxDifference: max } = range ?? differenceRange(a, b)
  const data = overwritePrevious ? a : new Uint8Array(length)
  if (length === 0 || max === min) {
    data.fill(0)
    return { width: current.width, height: current.height, channels: 3, data }
  }
  // Index d + 255 for d in −255..255.
  const table = new Uint8Array(511)
  const scale = 255 / (max - min)
  for (let d = min; d <= max; d += 1) table[d + 255] = Math.round((d - min) * scale)
  for (let i = 0; i < length; i += 1) data[i] = table[b[i]! - a[i]! + 255]!
  return { width: current.width, height: current.height, channels: 3, data }
}

function differenceRange(a: Uint8Array, b: Uint8Array): DifferenceRange {
  let min = 255
  let max = -255
  for (let i = 0; i < b.length; i += 1) {
    const d = b[i]! - a[i]!
    if (d < min) min = d
    if (d > max) max = d
  }
  return { minDifference: min, maxDifference: max }
}

/** Encodes decoded pixels as a baseline JPEG (sharp's defaults: 4:2:0 chroma, no metadata). */
/**
 * Optimised Huffman tables make libjpeg hold every DCT coefficient of the image (2 bytes a sample): 320 MB
 * more for a 7000×7000 difference image, measured. Above 4 MP (24 MB of coefficients) the file is ~10%
 * larger instead.
 */
const OPTIMISE_CODING_MAX_PIXELS = 4_000_000

export async function encodeJpeg(image: RawImage, quality = 90): Promise<Buffer> {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw new InternalError(`JPEG quality must be an integer from 1 to 100, got ${quality}`)
  assertRawImage(image)
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality, optimiseCoding: image.width * image.height <= OPTIMISE_CODING_MAX_PIXELS })
    .toBuffer()
}
