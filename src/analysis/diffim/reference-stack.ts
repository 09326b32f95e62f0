/**
 * A reference image (template) as a stack of aligned frames: the per-pixel, inverse-variance-weighted mean after
 * rejecting outliers (cosmic rays, satellites, a transient present in one frame) at ±3σ about the median — the
 * combination ZTF's reference builder and SWarp's `CLIPPED` mode use (Masci et al. 2019 §3.5; Gruen et al. 2014).
 *
 * Inputs are background-subtracted, on one pixel grid (resample.ts) and on one flux scale; the output noise map is
 * 1/√Σw of the frames kept per pixel, so a stack of N equal frames has √N less noise. A pixel with no valid frame is
 * NaN. What it leaves out: PSF homogenisation before stacking (the stack's PSF is the weighted mix of the inputs'),
 * which is why the stack's PSF is measured afresh on it.
 */
import { floatImage, type FloatImage } from '../float-image.js'

export interface StackInput {
  readonly image: FloatImage
  /** σ per pixel: a number or a map. */
  readonly noise: number | FloatImage
}

export interface Stack {
  readonly image: FloatImage
  readonly noise: FloatImage
  /** Frames kept per pixel (after rejection). */
  readonly depth: Uint16Array
}

/** Stacks `frames` (at least one); `clip` is the rejection threshold in σ (default 3; Infinity keeps everything). */
export function stackFrames(frames: readonly StackInput[], clip = 3): Stack {
  const first = frames[0]
  if (first === undefined) throw new RangeError('a reference stack needs at least one frame')
  const { width, height } = first.image
  for (const frame of frames) {
    if (frame.image.width !== width || frame.image.height !== height) {
      throw new RangeError(`frames of ${width}×${height} and ${frame.image.width}×${frame.image.height} do not stack`)
    }
  }
  const image = floatImage(width, height)
  const noise = floatImage(width, height)
  const depth = new Uint16Array(width * height)
  const n = frames.length
  const values = new Float64Array(n)
  const sigmas = new Float64Array(n)
  const sorted = new Float64Array(n)
  for (let i = 0; i < width * height; i++) {
    let count = 0
    for (const frame of frames) {
      const value = frame.image.data[i]!
      const sigma = typeof frame.noise === 'number' ? frame.noise : frame.noise.data[i]!
      if (Number.isNaN(value) || !(sigma > 0)) continue
      values[count] = value
      sigmas[count] = sigma
      count += 1
    }
    if (count === 0) {
      image.data[i] = Number.NaN
      noise.data[i] = Number.NaN
      continue
    }
    sorted.set(values.subarray(0, count))
    const head = sorted.subarray(0, count).sort()
    const median = count % 2 === 1 ? head[count >> 1]! : (head[count / 2 - 1]! + head[count / 2]!) / 2
    let sumW = 0
    let sumWV = 0
    let kept = 0
    for (let k = 0; k < count; k++) {
      // With two frames the median is their mean and rejection cannot tell which is wrong: keep both.
      if (count > 2 && Math.abs(values[k]! - median) > clip * sigmas[k]!) continue
      const w = 1 / (sigmas[k]! * sigmas[k]!)
      sumW += w
      sumWV += w * values[k]!
      kept += 1
    }
    image.data[i] = sumWV / sumW
    noise.data[i] = 1 / Math.sqrt(sumW)
    depth[i] = kept
  }
  return { image, noise, depth }
}
