/**
 * Display stretches: float pixels → [0, 1] through an interval (clipped, as astropy's ImageNormalize with
 * clip=True), then a stretch — linear, or asinh (Lupton, Gunn & Szalay 1999; Lupton et al. 2004), which keeps
 * faint structure visible while bright stars stay unsaturated — then 8-bit grey levels, round(255·y).
 * The asinh form is astropy.visualization.AsinhStretch: y = asinh(t / a) / asinh(1 / a), a = 0.1 by default.
 */
import type { DisplayInterval } from './zscale.js'

export type StretchName = 'linear' | 'asinh'

export interface StretchOptions {
  stretch?: StretchName
  /** asinh softening parameter: the normalised value where the stretch turns from linear to logarithmic (default 0.1). */
  asinhA?: number
}

/** The stretched value y in [0, 1] of a normalised t (clipped to [0, 1] first, as astropy does). */
export function stretchValue(t: number, options: StretchOptions = {}): number {
  const clipped = t < 0 ? 0 : t > 1 ? 1 : t
  if ((options.stretch ?? 'asinh') === 'linear') return clipped
  const a = options.asinhA ?? 0.1
  return Math.asinh(clipped / a) / Math.asinh(1 / a)
}

/**
 * A pixel value → grey level table: 256 ascending thresholds in pixel units, level k for values from
 * thresholds[k] up. Found by inverting the stretch at the half-levels, so each pixel costs a few comparisons
 * instead of an asinh — and lands on the same level as round(255·y) but for values within rounding of a boundary.
 * An empty interval (vmax ≤ vmin: a constant image) gives no table: such an image shows mid-grey.
 */
export function greyThresholds(interval: DisplayInterval, options: StretchOptions = {}): Float64Array | undefined {
  const { vmin, vmax } = interval
  if (!(vmax > vmin)) return undefined
  const thresholds = new Float64Array(256)
  thresholds[0] = -Infinity
  const linear = (options.stretch ?? 'asinh') === 'linear'
  const a = options.asinhA ?? 0.1
  const scale = Math.asinh(1 / a)
  for (let k = 1; k < 256; k++) {
    const y = (k - 0.5) / 255
    const t = linear ? y : a * Math.sinh(y * scale)
    thresholds[k] = vmin + t * (vmax - vmin)
  }
  return thresholds
}

/** The grey level of a value with a threshold table (binary search over 256 levels: 8 comparisons). */
export function greyLevel(thresholds: Float64Array, value: number): number {
  let lo = 0
  let hi = 255
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (value >= thresholds[mid]!) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * A value → grey level look-up: the stretch's range cut into bins fine enough that each holds at most one level
 * boundary (twice the steepest slope of the stretch times 255 levels), each bin remembering its first level. A
 * pixel then costs a multiplication, a table read and a comparison with the next threshold — exact like
 * greyLevel, and what makes a 4096² preview fast.
 */
export interface GreyTable {
  readonly vmin: number
  /** Bins per unit of pixel value. */
  readonly scale: number
  readonly bins: number
  readonly first: Uint8Array
  /** The 256 thresholds of greyThresholds and +Infinity after them, so that no level check is needed. */
  readonly upper: Float64Array
}

/** The largest table (64 Ki bins): the asinh stretch needs more only for a < 0.0007, where a step is added. */
const MAX_BINS = 1 << 16

export function greyTable(interval: DisplayInterval, options: StretchOptions = {}): GreyTable | undefined {
  const thresholds = greyThresholds(interval, options)
  if (thresholds === undefined) return undefined
  const linear = (options.stretch ?? 'asinh') === 'linear'
  const a = options.asinhA ?? 0.1
  const steepest = linear ? 1 : 1 / (a * Math.asinh(1 / a))
  const bins = Math.min(MAX_BINS, Math.max(4096, Math.ceil(2 * 255 * steepest)))
  const scale = bins / (interval.vmax - interval.vmin)
  const first = new Uint8Array(bins)
  for (let b = 0; b < bins; b++) first[b] = greyLevel(thresholds, interval.vmin + b / scale)
  const upper = new Float64Array(257)
  upper.set(thresholds)
  upper[256] = Infinity
  return { vmin: interval.vmin, scale, bins, first, upper }
}

/** The grey level of a non-NaN value through a GreyTable. */
export function greyOf(table: GreyTable, value: number): number {
  const at = (value - table.vmin) * table.scale
  if (!(at >= 0)) return 0
  if (at >= table.bins) return 255
  let level = table.first[at | 0]!
  while (value >= table.upper[level + 1]!) level++
  return level
}

/** Grey levels of every pixel (0–255), and a mask that is 1 where the pixel is NaN (masked; its grey level is 0). */
export function stretchToGrey(
  data: ArrayLike<number>,
  interval: DisplayInterval,
  options: StretchOptions = {},
): { grey: Uint8Array; mask: Uint8Array } {
  const n = data.length
  const grey = new Uint8Array(n)
  const mask = new Uint8Array(n)
  const table = greyTable(interval, options)
  for (let i = 0; i < n; i++) {
    const value = data[i]!
    if (Number.isNaN(value)) {
      mask[i] = 1
      continue
    }
    grey[i] = table === undefined ? 128 : greyOf(table, value)
  }
  return { grey, mask }
}
