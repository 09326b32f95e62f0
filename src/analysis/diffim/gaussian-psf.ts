/**
 * A round Gaussian PSF of a given FWHM, and separable Gaussian smoothing: the detection filter.
 *
 * Detection filters with a Gaussian of the PSF's width rather than the measured PSF itself (SExtractor's default,
 * Bertin & Arnouts 1996 §3.3): for a Moffat or any compact PSF the loss of S/N is a few per cent, and a separable
 * filter costs 2·k operations a pixel instead of k².
 */
import { floatImage, type FloatImage } from '../float-image.js'
import type { PsfModel } from './psf-model.js'

export const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.log(2))

/** A normalised 1-D Gaussian of standard deviation `sigma`, half-width ⌈3.5σ⌉, each tap integrated over its pixel. */
export function gaussianTaps(sigma: number): Float64Array {
  const half = Math.max(1, Math.ceil(3.5 * sigma))
  const taps = new Float64Array(2 * half + 1)
  let sum = 0
  for (let i = -half; i <= half; i++) {
    // Three samples per pixel approximate the integral; a point sample undercounts the peak of a narrow Gaussian.
    let value = 0
    for (const d of [-1 / 3, 0, 1 / 3]) value += Math.exp(-((i + d) ** 2) / (2 * sigma * sigma))
    taps[i + half] = value
    sum += value
  }
  for (let i = 0; i < taps.length; i++) taps[i]! /= sum
  return taps
}

/** A PsfModel for a round Gaussian of this FWHM (pixels). */
export function gaussianPsf(fwhm: number): PsfModel {
  const taps = gaussianTaps(fwhm / FWHM_PER_SIGMA)
  const size = taps.length
  const kernel = floatImage(size, size)
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) kernel.data[y * size + x] = taps[x]! * taps[y]!
  return { fwhm, elongation: 1, angle: 0, kernel, stars: 0 }
}

/**
 * `image` convolved with the separable kernel `taps` along x then y. Edges reflect (pixel −1 is pixel 0), NaN pixels
 * count as 0 so a masked column does not spread NaN over the whole filtered image.
 *
 * The x-filtered rows are kept in a ring of `taps.length` rows, not a whole image (64 MB less at 4096²), and the y
 * pass runs along rows into a float64 accumulator: the column-by-column pass it replaces read memory a row apart
 * for every tap. The sums are the same as before, in the same order and precision.
 */
export function separableFilter(image: FloatImage, taps: Float64Array, into?: FloatImage): FloatImage {
  const { width, height } = image
  const size = taps.length
  const half = size >> 1
  const ring = new Float32Array(size * width)
  const ringRow = new Int32Array(size).fill(-1)
  const line = new Float64Array(width + 2 * half)
  const acc = new Float64Array(width)
  const data = image.data
  // `into` (another image's buffer the caller gives up) must not be `image`: rows are read after earlier ones are written.
  const out = into !== undefined && into !== image && into.data.length === width * height ? into : floatImage(width, height)
  for (let y = 0; y < height; y++) {
    acc.fill(0)
    for (let k = 0; k < size; k++) {
      // Reflect at the top and bottom edges; the rows a pixel needs span at most `size` source rows.
      let source = y + k - half
      source = source < -height ? -height : source > 2 * height - 1 ? 2 * height - 1 : source
      source = source < 0 ? -source - 1 : source >= height ? 2 * height - source - 1 : source
      const slot = source % size
      const at = slot * width
      if (ringRow[slot] !== source) {
        ringRow[slot] = source
        const base = source * width
        for (let i = -half; i < width + half; i++) {
          let column = i < -width ? -width : i > 2 * width - 1 ? 2 * width - 1 : i
          column = column < 0 ? -column - 1 : column >= width ? 2 * width - column - 1 : column
          const value = data[base + column]!
          line[i + half] = value === value ? value : 0
        }
        for (let x = 0; x < width; x++) {
          let sum = 0
          for (let t = 0; t < size; t++) sum += taps[t]! * line[x + t]!
          ring[at + x] = sum
        }
      }
      const tap = taps[k]!
      for (let x = 0; x < width; x++) acc[x]! += tap * ring[at + x]!
    }
    out.data.set(acc, y * width)
  }
  return out
}
