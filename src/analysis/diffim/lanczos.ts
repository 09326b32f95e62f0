/**
 * The Lanczos-3 interpolation kernel, sinc(t)·sinc(t/3) for |t| < 3 (Duchon 1979; the resampling kernel of SWarp
 * and of Rubin's warping): what sub-pixel shifts of a PSF (measure.ts) and the alignment of a reference (resample.ts)
 * both interpolate with.
 */

export function lanczos3(t: number): number {
  if (t === 0) return 1
  if (t <= -3 || t >= 3) return 0
  const pt = Math.PI * t
  return (3 * Math.sin(pt) * Math.sin(pt / 3)) / (pt * pt)
}

/**
 * Lanczos-3 tabulated at 1/4096 pixel: two sines per tap made resampling four times slower than the arithmetic it
 * feeds. Nearest-entry error is below 2·10⁻⁴ of a tap's weight, and callers renormalise the weights per pixel.
 */
export const LANCZOS3_STEPS = 4096
/** lanczos3(i / LANCZOS3_STEPS) for i = 0 … 3·LANCZOS3_STEPS: read in place by loops that must not call per tap. */
export const LANCZOS3_TABLE = Float64Array.from({ length: 3 * LANCZOS3_STEPS + 1 }, (_, i) => lanczos3(i / LANCZOS3_STEPS))
