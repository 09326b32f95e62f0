/**
 * A PSF-matching kernel fitted by least squares: the kernel K of (2h+1)² free pixels that makes the sharper PSF
 * model, convolved with it, closest to the blurrier one (the delta-function basis of Bramich 2008, MNRAS 386, L77;
 * Alard & Lupton 1998 fit Gaussian×polynomial bases the same way). Fitted on the two measured PSF models rather than
 * on every star's pixels: one small linear system per image, not per star.
 *
 * Why not a Gaussian of σ² = σ_blurry² − σ_sharp²: that is exact only between Gaussians. Star PSFs are Moffat-like,
 * and a reference stacked from frames of different seeing has a PSF of mixed widths; a Gaussian match leaves a
 * few per cent of every bright star in the difference, which detection reports as a source. A free kernel takes
 * any shape the two models need.
 */
import { floatImage, type FloatImage } from '../float-image.js'
import type { PsfModel } from './psf-model.js'

/** The kernel, (2·half+1)² values row-major, summing to 1. */
export function fitMatchingKernel(sharp: PsfModel, blurry: PsfModel, half: number): Float64Array {
  const m = 2 * half + 1
  const unknowns = m * m
  const hs = sharp.kernel.width >> 1
  const hb = blurry.kernel.width >> 1
  const grid = Math.max(hb, hs + half)
  const at = (psf: FloatImage, h: number, x: number, y: number): number =>
    x < -h || x > h || y < -h || y > h ? 0 : psf.data[(y + h) * psf.width + (x + h)]!
  // Each unknown's column: the sharp PSF shifted by the kernel offset, over the output grid.
  const side = 2 * grid + 1
  const columns = new Float64Array(unknowns * side * side)
  const target = new Float64Array(side * side)
  for (let py = -grid; py <= grid; py++) {
    for (let px = -grid; px <= grid; px++) {
      const p = (py + grid) * side + (px + grid)
      target[p] = at(blurry.kernel, hb, px, py)
      for (let qy = -half; qy <= half; qy++) {
        for (let qx = -half; qx <= half; qx++) {
          columns[((qy + half) * m + (qx + half)) * side * side + p] = at(sharp.kernel, hs, px - qx, py - qy)
        }
      }
    }
  }
  const n = side * side
  const a = new Float64Array(unknowns * unknowns)
  const b = new Float64Array(unknowns)
  for (let i = 0; i < unknowns; i++) {
    const ci = i * n
    let bi = 0
    for (let p = 0; p < n; p++) bi += columns[ci + p]! * target[p]!
    b[i] = bi
    for (let j = i; j < unknowns; j++) {
      const cj = j * n
      let sum = 0
      for (let p = 0; p < n; p++) sum += columns[ci + p]! * columns[cj + p]!
      a[i * unknowns + j] = sum
      a[j * unknowns + i] = sum
    }
  }
  // A light ridge: the outer kernel pixels are poorly constrained by two compact PSFs and would fit their noise.
  let trace = 0
  for (let i = 0; i < unknowns; i++) trace += a[i * unknowns + i]!
  for (let i = 0; i < unknowns; i++) a[i * unknowns + i]! += (1e-4 * trace) / unknowns
  const kernel = solve(a, b, unknowns)
  let sum = 0
  for (const value of kernel) sum += value
  for (let i = 0; i < unknowns; i++) kernel[i]! /= sum
  return kernel
}

/** Gaussian elimination with partial pivoting (n is at most a few hundred). */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let col = 0; col < n; col++) {
    let pivot = col
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = row
    if (pivot !== col) {
      for (let k = 0; k < n; k++) {
        const t = a[col * n + k]!
        a[col * n + k] = a[pivot * n + k]!
        a[pivot * n + k] = t
      }
      const t = b[col]!
      b[col] = b[pivot]!
      b[pivot] = t
    }
    const diagonal = a[col * n + col]!
    for (let row = col + 1; row < n; row++) {
      const factor = a[row * n + col]! / diagonal
      if (factor === 0) continue
      for (let k = col; k < n; k++) a[row * n + k]! -= factor * a[col * n + k]!
      b[row]! -= factor * b[col]!
    }
  }
  const x = new Float64Array(n)
  for (let row = n - 1; row >= 0; row--) {
    let sum = b[row]!
    for (let k = row + 1; k < n; k++) sum -= a[row * n + k]! * x[k]!
    x[row] = sum / a[row * n + row]!
  }
  return x
}

/**
 * `image` convolved with the kernel: out(p) = Σ_q K(q)·image(p − q). A pixel whose footprint holds a NaN or leaves
 * the image is NaN (masked), so no artefact is made where data is missing.
 */
export function convolveWithKernel(image: FloatImage, kernel: Float64Array, half: number): FloatImage {
  const { width, height, data } = image
  const m = 2 * half + 1
  const out = floatImage(width, height, Number.NaN)
  // Taps as (offset into data, weight), reversed so the inner loop reads forwards: image(p − q).
  const offsets = new Int32Array(m * m)
  const weights = new Float64Array(m * m)
  let t = 0
  for (let qy = -half; qy <= half; qy++) {
    for (let qx = -half; qx <= half; qx++) {
      offsets[t] = -qy * width - qx
      weights[t] = kernel[(qy + half) * m + (qx + half)]!
      t += 1
    }
  }
  const taps = t
  const o = out.data
  for (let y = half; y < height - half; y++) {
    for (let x = half; x < width - half; x++) {
      const p = y * width + x
      let sum = 0
      // NaN propagates through the sum: a masked pixel in the footprint masks the output.
      for (let k = 0; k < taps; k++) sum += weights[k]! * data[p + offsets[k]!]!
      o[p] = sum
    }
  }
  return out
}

/** The PSF model convolved with the kernel (on a grid large enough for both), normalised to sum 1. */
export function convolvedPsfModel(psf: PsfModel, kernel: Float64Array, half: number, fwhm: number): PsfModel {
  const hp = psf.kernel.width >> 1
  const size = 2 * (hp + half) + 1
  const padded = floatImage(size + 2 * half, size + 2 * half)
  const offset = 2 * half
  for (let y = 0; y < psf.kernel.height; y++) {
    padded.data.set(psf.kernel.data.subarray(y * psf.kernel.width, (y + 1) * psf.kernel.width), (y + offset) * padded.width + offset)
  }
  const convolved = convolveWithKernel(padded, kernel, half)
  const result = floatImage(size, size)
  let sum = 0
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const value = convolved.data[(y + half) * padded.width + (x + half)]!
      result.data[y * size + x] = value
      sum += value
    }
  }
  for (let i = 0; i < result.data.length; i++) result.data[i]! /= sum
  return { fwhm, elongation: psf.elongation, angle: psf.angle, kernel: result, stars: psf.stars }
}
