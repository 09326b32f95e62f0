/**
 * Source detection on a background-subtracted or difference image: a matched filter, a threshold in units of the
 * filtered noise, and connected components — the steps of SExtractor (Bertin & Arnouts 1996, §3.3–3.4) and of the
 * Rubin and ZTF difference-image pipelines (positive and negative sources both kept: a star that faded leaves a
 * negative one in science − reference).
 *
 * For white noise of σ per pixel, filtering with a normalised kernel k leaves noise σ·√Σk²; dividing by that gives
 * each pixel's detection S/N, and for a point source at the peak it is the S/N of PSF photometry when k is the PSF.
 * What it leaves out: deblending (one detection per connected component) and correlated noise (a resampled or
 * convolved image's pixel noise is correlated; pass the propagated noise map when you have it).
 */
import type { FloatImage } from '../float-image.js'
import { FWHM_PER_SIGMA, gaussianTaps, separableFilter } from './gaussian-psf.js'

export interface DetectOptions {
  /** PSF FWHM in pixels: the width of the detection filter. */
  readonly fwhm: number
  /** Noise σ per pixel: one number, or a map of the image's size. */
  readonly noise: number | FloatImage
  /** Threshold, in σ of the filtered image (default 5). */
  readonly threshold?: number
  /** Keep negative detections too (default true, for difference images). */
  readonly negative?: boolean
  /** Pixels nearer than this to the edge or to a NaN pixel are not detected on (default 2·FWHM). */
  readonly edge?: number
  /** At most this many detections, the most significant first; a pathological image cannot exhaust memory. */
  readonly maxDetections?: number
  /**
   * Divide the S/N image by its own robust spread when that exceeds 1 (default true). Convolved or resampled images
   * have correlated noise, whose filtered σ is larger than σ·√Σk²; without this, a PSF-matched difference image
   * shows dozens of 5σ noise peaks. Never scales down: an image whose noise map is too pessimistic keeps it.
   */
  readonly calibrate?: boolean
  /** An image of the same size the caller gives up, to hold the S/N image: no new 4096² buffer (default: a new one). */
  readonly scratch?: FloatImage
}

export interface Detection {
  /** Flux-weighted centroid on the filtered image, 0-based pixels. */
  readonly x: number
  readonly y: number
  /** The peak pixel. */
  readonly peakX: number
  readonly peakY: number
  /** Signed S/N at the peak of the filtered image (negative for a negative source). */
  readonly snr: number
  /** Pixels above threshold in the component. */
  readonly area: number
}

export interface DetectionResult {
  readonly detections: Detection[]
  /** What the S/N image was divided by to make its robust σ 1 (1 when the noise map was right). */
  readonly noiseCorrection: number
  /** True when there were more than `maxDetections` components. */
  readonly truncated: boolean
}

/** Finds the sources of `image` above the threshold. */
export function detectSources(image: FloatImage, options: DetectOptions): DetectionResult {
  const { width, height } = image
  const threshold = options.threshold ?? 5
  const edge = Math.ceil(options.edge ?? 2 * options.fwhm)
  const maxDetections = options.maxDetections ?? 10_000
  const taps = gaussianTaps(options.fwhm / FWHM_PER_SIGMA)
  let tapSquares = 0
  for (const tap of taps) tapSquares += tap * tap
  // Σk² of the 2-D kernel is the square of the 1-D sum of squares for a separable kernel.
  const noiseScale = Math.sqrt(tapSquares * tapSquares)
  const filtered = separableFilter(image, taps, options.scratch)
  const snr = filtered.data
  const noise = options.noise
  for (let i = 0; i < snr.length; i++) {
    const sigma = typeof noise === 'number' ? noise : noise.data[i]!
    snr[i] = sigma > 0 ? snr[i]! / (sigma * noiseScale) : 0
  }
  const usable = usableMask(image, edge)
  const spread = options.calibrate === false ? 1 : Math.max(1, robustSpread(snr, usable))
  if (spread > 1) for (let i = 0; i < snr.length; i++) snr[i]! /= spread
  const label = new Int32Array(width * height)
  const stack: number[] = []
  const found: Detection[] = []
  let components = 0
  for (const sign of options.negative === false ? [1] : [1, -1]) {
    for (let start = 0; start < snr.length; start++) {
      if (label[start] !== 0 || !usable[start] || sign * snr[start]! < threshold) continue
      components += 1
      label[start] = components
      stack.push(start)
      let peak = start
      let area = 0
      while (stack.length > 0) {
        const index = stack.pop()!
        const value = sign * snr[index]!
        const x = index % width
        const y = (index - x) / width
        area += 1
        if (value > sign * snr[peak]!) peak = index
        for (let dy = -1; dy <= 1; dy++) {
          const ny = y + dy
          if (ny < 0 || ny >= height) continue
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx
            if (nx < 0 || nx >= width) continue
            const neighbour = ny * width + nx
            if (label[neighbour] !== 0 || !usable[neighbour] || sign * snr[neighbour]! < threshold) continue
            label[neighbour] = components
            stack.push(neighbour)
          }
        }
      }
      const peakX = peak % width
      const peakY = (peak - peakX) / width
      const [x, y] = centroid(snr, width, height, label, components, peakX, peakY, sign, options.fwhm)
      found.push({
        x,
        y,
        peakX,
        peakY,
        snr: snr[peak]!,
        area,
      })
    }
  }
  found.sort((a, b) => Math.abs(b.snr) - Math.abs(a.snr))
  return { detections: found.slice(0, maxDetections), noiseCorrection: spread, truncated: found.length > maxDetections }
}

/** σ of the usable S/N pixels from their median absolute deviation (1.4826·MAD), on a sample of ≤ 50,000 (plenty for a spread). */
function robustSpread(snr: Float32Array, usable: Uint8Array): number {
  const stride = Math.max(1, Math.floor(snr.length / 50_000))
  const sample: number[] = []
  for (let i = 0; i < snr.length; i += stride) if (usable[i]) sample.push(snr[i]!)
  if (sample.length < 100) return 1
  const sorted = Float64Array.from(sample).sort()
  const median = sorted[sorted.length >> 1]!
  const deviations = sorted.map((value) => Math.abs(value - median)).sort()
  return 1.4826 * deviations[deviations.length >> 1]!
}

/**
 * The S/N-weighted centroid within one FWHM of the peak, over the component's own pixels: the whole component of a
 * bright star reaches far into its wings and would pull the centroid towards neighbours and noise.
 */
function centroid(
  snr: Float32Array,
  width: number,
  height: number,
  label: Int32Array,
  component: number,
  peakX: number,
  peakY: number,
  sign: number,
  fwhm: number,
): [number, number] {
  const r = Math.max(1, Math.ceil(fwhm))
  let sumW = 0
  let sumX = 0
  let sumY = 0
  for (let y = Math.max(0, peakY - r); y <= Math.min(height - 1, peakY + r); y++) {
    for (let x = Math.max(0, peakX - r); x <= Math.min(width - 1, peakX + r); x++) {
      const index = y * width + x
      if (label[index] !== component || (x - peakX) ** 2 + (y - peakY) ** 2 > r * r) continue
      const w = sign * snr[index]!
      sumW += w
      sumX += w * x
      sumY += w * y
    }
  }
  return [sumX / sumW, sumY / sumW]
}

/** Pixels at least `edge` from the border and from any NaN pixel (a masked region's rim is not a source). */
function usableMask(image: FloatImage, edge: number): Uint8Array {
  const { width, height, data } = image
  // Dilate the NaN mask by a (2·edge+1)² box, separably with running counts: O(pixels) however much is masked.
  const nearNaN = new Uint8Array(width * height)
  const prefix = new Int32Array(Math.max(width, height) + 1)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) prefix[x + 1] = prefix[x]! + (Number.isNaN(data[y * width + x]!) ? 1 : 0)
    if (prefix[width] === 0) continue
    for (let x = 0; x < width; x++) {
      const lo = Math.max(0, x - edge)
      const hi = Math.min(width, x + edge + 1)
      if (prefix[hi]! - prefix[lo]! > 0) nearNaN[y * width + x] = 1
    }
  }
  // The column pass runs along rows with a running count per column: reading a column of a 4096² mask touched a new
  // cache line per pixel.
  const usable = new Uint8Array(width * height)
  const count = new Int32Array(width)
  for (let y = 0; y < Math.min(2 * edge, height); y++) {
    for (let x = 0; x < width; x++) count[x]! += nearNaN[y * width + x]!
  }
  for (let y = edge; y < height - edge; y++) {
    const enter = (y + edge) * width
    for (let x = 0; x < width; x++) count[x]! += nearNaN[enter + x]!
    const row = y * width
    for (let x = edge; x < width - edge; x++) if (count[x] === 0) usable[row + x] = 1
    const leave = (y - edge) * width
    for (let x = 0; x < width; x++) count[x]! -= nearNaN[leave + x]!
  }
  return usable
}
