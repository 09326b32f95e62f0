/**
 * IRAF's zscale display interval (the `display` task's algorithm, as astropy.visualization.ZScaleInterval
 * implements it): sample about `nSamples` finite pixels evenly through the image, sort them, fit a straight line to
 * the sorted sample with iterative k-sigma rejection (rejected points dilated by 1 % of the sample), and take the
 * range the line spans around the median with its slope divided by `contrast`, within the sample's extremes.
 * Written to give astropy's numbers on the same pixels, step for step, so previews match what astronomers see.
 */

export interface ZScaleOptions {
  /** How many pixels to sample (default 1000). */
  nSamples?: number
  /** The slope of the fitted line is divided by this: smaller shows a wider range (default 0.25). */
  contrast?: number
  /** At most this fraction of the sample may be rejected, else the sample's extremes are the range (default 0.5). */
  maxReject?: number
  /** The fewest good points a fit needs (default 5). */
  minNpixels?: number
  /** Rejection threshold in standard deviations of the residuals (default 2.5). */
  krej?: number
  /** Fit-and-reject rounds (default 5). */
  maxIterations?: number
}

export interface DisplayInterval {
  vmin: number
  vmax: number
}

/** The zscale interval of the pixels; NaN and ±Infinity are ignored, and an image without finite pixels gives 0..0. */
export function zscale(data: ArrayLike<number>, options: ZScaleOptions = {}): DisplayInterval {
  const nSamples = options.nSamples ?? 1000
  const contrast = options.contrast ?? 0.25
  const maxReject = options.maxReject ?? 0.5
  const minNpixels = options.minNpixels ?? 5
  const krej = options.krej ?? 2.5
  const maxIterations = options.maxIterations ?? 5
  const float32 = data instanceof Float32Array

  const samples = sample(data, nSamples)
  const npix = samples.length
  if (npix === 0) return { vmin: 0, vmax: 0 }
  samples.sort()
  let vmin = samples[0]!
  let vmax = samples[npix - 1]!

  const minpix = Math.max(minNpixels, Math.trunc(npix * maxReject))
  let ngoodpix = npix
  let lastNgoodpix = npix + 1
  let bad: Uint8Array = new Uint8Array(npix)
  const ngrow = Math.max(1, Math.trunc(npix * 0.01))
  const flat = new Float64Array(npix)
  let slope = NaN
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (ngoodpix >= lastNgoodpix || ngoodpix < minpix) break
    const fit = fitLine(samples, bad)
    slope = fit.slope
    let sum = 0
    let good = 0
    for (let i = 0; i < npix; i++) {
      flat[i] = samples[i]! - (fit.slope * i + fit.intercept)
      if (bad[i] === 0) {
        sum += flat[i]!
        good++
      }
    }
    const mean = sum / good
    let squares = 0
    for (let i = 0; i < npix; i++) if (bad[i] === 0) squares += (flat[i]! - mean) ** 2
    const threshold = krej * Math.sqrt(squares / good)
    for (let i = 0; i < npix; i++) if (flat[i]! < -threshold || flat[i]! > threshold) bad[i] = 1
    bad = dilate(bad, ngrow)
    lastNgoodpix = ngoodpix
    ngoodpix = 0
    for (let i = 0; i < npix; i++) if (bad[i] === 0) ngoodpix++
  }

  if (ngoodpix >= minpix && !Number.isNaN(slope)) {
    if (contrast > 0) slope /= contrast
    const center = Math.trunc((npix - 1) / 2)
    const median = medianOfSorted(samples, float32)
    vmin = Math.max(vmin, median - (center - 1) * slope)
    vmax = Math.min(vmax, median + (npix - center) * slope)
  }
  return { vmin, vmax }
}

/**
 * Every stride-th finite pixel, stride = trunc(max(1, finite count / nSamples)), at most nSamples of them — the
 * same pixels astropy takes from `values[isfinite(values)][::stride][:n_samples]`.
 */
function sample(data: ArrayLike<number>, nSamples: number): Float64Array | Float32Array {
  const n = data.length
  const finite = data instanceof Float32Array ? countFinite32(data) : countFinite(data)
  const stride = Math.trunc(Math.max(1, finite / nSamples))
  const count = Math.min(nSamples, Math.ceil(finite / stride))
  const samples = data instanceof Float32Array ? new Float32Array(count) : new Float64Array(count)
  if (finite === n) {
    for (let k = 0; k < count; k++) samples[k] = data[k * stride]!
    return samples
  }
  // A countdown to the next finite pixel to take, rather than a modulo per pixel.
  let skip = 0
  let taken = 0
  for (let i = 0; i < n && taken < count; i++) {
    const value = data[i]!
    if (value - value !== 0) continue
    if (skip === 0) {
      samples[taken++] = value
      skip = stride
    }
    skip--
  }
  return samples
}

/** Finite pixels of a float32 image: v − v is 0 for finite v, NaN for NaN and ±Infinity (one subtraction a pixel). */
function countFinite32(data: Float32Array): number {
  let finite = 0
  for (let i = 0; i < data.length; i++) {
    const value = data[i]!
    if (value - value === 0) finite++
  }
  return finite
}

function countFinite(data: ArrayLike<number>): number {
  let finite = 0
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i]!)) finite++
  return finite
}

/** Least-squares line through (i, samples[i]) over the points not marked bad (numpy.polyfit with 0/1 weights). */
function fitLine(samples: ArrayLike<number>, bad: Uint8Array): { slope: number; intercept: number } {
  let n = 0
  let sx = 0
  let sy = 0
  for (let i = 0; i < samples.length; i++) {
    if (bad[i] !== 0) continue
    n++
    sx += i
    sy += samples[i]!
  }
  const mx = sx / n
  const my = sy / n
  let sxx = 0
  let sxy = 0
  for (let i = 0; i < samples.length; i++) {
    if (bad[i] !== 0) continue
    const dx = i - mx
    sxx += dx * dx
    sxy += dx * (samples[i]! - my)
  }
  const slope = sxx === 0 ? 0 : sxy / sxx
  return { slope, intercept: my - slope * mx }
}

/**
 * numpy.convolve(bad, ones(width), mode='same') on booleans: a point is bad when any point of the window
 * [i + s − width + 1, i + s] is, s = (width − 1) div 2.
 */
function dilate(bad: Uint8Array, width: number): Uint8Array {
  const n = bad.length
  const shift = (width - 1) >> 1
  const out = new Uint8Array(n)
  // Prefix counts make each window O(1).
  const prefix = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + bad[i]!
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i + shift - width + 1)
    const hi = Math.min(n - 1, i + shift)
    if (hi >= lo && prefix[hi + 1]! - prefix[lo]! > 0) out[i] = 1
  }
  return out
}

/** numpy.median of a sorted sample, in float32 arithmetic for float32 pixels as numpy computes it. */
function medianOfSorted(sorted: Float64Array | Float32Array, float32: boolean): number {
  const n = sorted.length
  const mid = n >> 1
  if (n % 2 === 1) return sorted[mid]!
  if (float32) return Math.fround(Math.fround(sorted[mid - 1]! + sorted[mid]!) / 2)
  return (sorted[mid - 1]! + sorted[mid]!) / 2
}
