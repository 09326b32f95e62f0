/**
 * An empirical PSF measured on an image's own stars: the model that detection, PSF photometry, fakes and PSF matching
 * use. The approach of DAOPHOT's and PSFEx's simplest mode (Stetson 1987, PASP 99, 191; Bertin 2011): pick bright,
 * isolated, unsaturated stars, shift each to a common sub-pixel centre, normalise to unit flux, and take the
 * per-pixel median so a cosmic ray or a faint neighbour in one stamp does not enter the model.
 *
 * What it leaves out: PSF variation across the field (one model per image) and saturation levels from the header.
 */
import { floatImage, type FloatImage } from '../float-image.js'
import { detectSources } from './detect.js'
import { gaussianPsf } from './gaussian-psf.js'
import { shiftedKernel } from './measure.js'
import type { PsfModel } from './psf-model.js'

export interface PsfMeasureOptions {
  /** A first guess of the FWHM, pixels (the detection filter's width). */
  readonly fwhmGuess: number
  /** Noise σ of the background-subtracted image. */
  readonly noise: number | FloatImage
  /** Stars brighter than this S/N are used (default 30). */
  readonly minSnr?: number
  /** At most this many stars, the brightest first after the saturation cut (default 50). */
  readonly maxStars?: number
  /** Pixel values at or above this are saturated; their stars are left out (default: none). */
  readonly saturation?: number
}

/**
 * Measures the PSF of a background-subtracted image. With fewer than 3 usable stars it returns a Gaussian of the
 * guessed FWHM with `stars: 0`, so callers can tell a measured model from a fallback.
 */
export function measurePsf(image: FloatImage, options: PsfMeasureOptions): PsfModel {
  const half = Math.max(4, Math.ceil(3 * options.fwhmGuess))
  const size = 2 * half + 1
  const { detections } = detectSources(image, {
    fwhm: options.fwhmGuess,
    noise: options.noise,
    threshold: options.minSnr ?? 30,
    negative: false,
    edge: half + 4,
  })
  const isolated = detections.filter(
    (d) => detections.every((o) => o === d || Math.hypot(o.x - d.x, o.y - d.y) > 2 * half) && d.area < size * size,
  )
  const stamps: Float64Array[] = []
  for (const star of isolated) {
    if (stamps.length >= (options.maxStars ?? 50)) break
    const cx = Math.round(star.x)
    const cy = Math.round(star.y)
    const box = floatImage(size, size)
    let saturated = false
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const value = image.data[(cy + y - half) * image.width + (cx + x - half)]!
        if (options.saturation !== undefined && value >= options.saturation) saturated = true
        box.data[y * size + x] = Number.isNaN(value) ? 0 : value
      }
    }
    if (saturated) continue
    // Shift the star back to the middle pixel: the inverse of its offset from the pixel centre.
    stamps.push(shiftedKernel(box, cx - star.x, cy - star.y))
  }
  if (stamps.length < 3) return gaussianPsf(options.fwhmGuess)
  const kernel = floatImage(size, size)
  const column = new Float64Array(stamps.length)
  for (let i = 0; i < size * size; i++) {
    for (let s = 0; s < stamps.length; s++) column[s] = stamps[s]![i]!
    column.sort()
    const n = column.length
    kernel.data[i] = n % 2 === 1 ? column[n >> 1]! : (column[n / 2 - 1]! + column[n / 2]!) / 2
  }
  let sum = 0
  for (const value of kernel.data) sum += value
  for (let i = 0; i < kernel.data.length; i++) kernel.data[i]! /= sum
  const [fwhm, elongation, angle] = shape(kernel)
  return { fwhm, elongation, angle, kernel, stars: stamps.length }
}

/** FWHM (Gaussian-equivalent), elongation and position angle from the kernel's second moments. */
function shape(kernel: FloatImage): [number, number, number] {
  const half = kernel.width >> 1
  let w = 0
  let xx = 0
  let yy = 0
  let xy = 0
  for (let y = 0; y < kernel.height; y++) {
    for (let x = 0; x < kernel.width; x++) {
      const value = kernel.data[y * kernel.width + x]!
      // Moments of a Moffat's wings diverge; a window of radius 1.5 FWHM-ish (half of the box) keeps them finite,
      // and the half-maximum width below does not depend on it.
      if (value <= 0 || (x - half) ** 2 + (y - half) ** 2 > half * half) continue
      w += value
      xx += value * (x - half) ** 2
      yy += value * (y - half) ** 2
      xy += value * (x - half) * (y - half)
    }
  }
  const a = xx / w
  const b = yy / w
  const c = xy / w
  const root = Math.sqrt(((a - b) / 2) ** 2 + c * c)
  const major = (a + b) / 2 + root
  const minor = Math.max((a + b) / 2 - root, 1e-12)
  return [halfMaximumWidth(kernel), Math.sqrt(major / minor), 0.5 * Math.atan2(2 * c, a - b)]
}

/** The FWHM as an astronomer measures it: the diameter of the circle with the area above half the peak. */
function halfMaximumWidth(kernel: FloatImage): number {
  let peak = 0
  for (const value of kernel.data) peak = Math.max(peak, value)
  // Area above half maximum, with each pixel's share estimated on a 4×4 bilinear sub-grid for sub-pixel accuracy.
  let area = 0
  const { width, height, data } = kernel
  const at = (x: number, y: number): number => {
    const x0 = Math.min(Math.max(Math.floor(x), 0), width - 2)
    const y0 = Math.min(Math.max(Math.floor(y), 0), height - 2)
    const tx = x - x0
    const ty = y - y0
    const top = data[y0 * width + x0]! * (1 - tx) + data[y0 * width + x0 + 1]! * tx
    const bottom = data[(y0 + 1) * width + x0]! * (1 - tx) + data[(y0 + 1) * width + x0 + 1]! * tx
    return top * (1 - ty) + bottom * ty
  }
  for (let y = 0; y < height - 1; y += 0.25) {
    for (let x = 0; x < width - 1; x += 0.25) if (at(x + 0.125, y + 0.125) >= peak / 2) area += 1 / 16
  }
  return 2 * Math.sqrt(area / Math.PI)
}
