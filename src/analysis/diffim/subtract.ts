/**
 * Image subtraction: science − reference after matching the two PSFs and flux scales, with the difference image's
 * noise map — the step every alert pipeline is built on (Alard & Lupton 1998, ApJ 503, 325; ZTF uses ZOGY, Zackay,
 * Ofek & Gal-Yam 2016; science-references §"Methods", step 3).
 *
 * This is "the simplest credible form": the sharper image is convolved with a Gaussian of
 * σ² = σ_blurry² − σ_sharp² (exact when both PSFs are Gaussian; for Moffat PSFs it leaves small ring residuals
 * around bright stars, which the real-bogus cuts on nneg and shape remove). The reference is scaled to the science
 * image's flux scale by the median ratio of PSF fluxes of stars bright in both. Both images must be on the same pixel
 * grid (resample.ts) and background-subtracted.
 *
 * Noise: each input's σ map is propagated through its convolution as σ·√Σk² (exact for white noise; resampled
 * reference noise is correlated, which makes this an underestimate there — detection thresholds stay conservative
 * because the reference is a stack with far lower noise than the science image).
 */
import { floatImage, type FloatImage } from '../float-image.js'
import { detectSources } from './detect.js'
import { FWHM_PER_SIGMA, gaussianTaps, separableFilter } from './gaussian-psf.js'
import { convolvedPsfModel, convolveWithKernel, fitMatchingKernel } from './kernel-match.js'
import { measureOne } from './measure.js'
import type { PsfModel } from './psf-model.js'

export interface SubtractInput {
  readonly image: FloatImage
  readonly psf: PsfModel
  /** σ per pixel (background-subtracted image). */
  readonly noise: number | FloatImage
}

export interface Subtraction {
  readonly difference: FloatImage
  /** σ per pixel of the difference image. */
  readonly noise: FloatImage
  /** The PSF of the difference image: the science PSF as matched (convolved when the science image was sharper). */
  readonly psf: PsfModel
  /** Reference flux × scale = science flux. */
  readonly fluxScale: number
  /** Which image was convolved, and by a Gaussian of what σ (pixels). */
  readonly convolved: 'science' | 'reference' | 'none'
  readonly kernelSigma: number
  /** How the PSFs were matched: `least-squares-kernel` (both PSFs measured) or `gaussian-kernel`. */
  readonly method: 'least-squares-kernel' | 'gaussian-kernel'
}

function noiseImage(noise: number | FloatImage, like: FloatImage): FloatImage {
  if (typeof noise !== 'number') return noise
  return floatImage(like.width, like.height, noise)
}

function convolve(input: SubtractInput, sigma: number): { image: FloatImage; noise: FloatImage } {
  if (sigma <= 0) return { image: input.image, noise: noiseImage(input.noise, input.image) }
  const taps = gaussianTaps(sigma)
  let squares = 0
  for (const tap of taps) squares += tap * tap
  const image = separableFilter(input.image, taps)
  // Keep the mask: a NaN pixel stays NaN (the filter treated it as 0 to stop it spreading).
  for (let i = 0; i < image.data.length; i++) if (Number.isNaN(input.image.data[i]!)) image.data[i] = Number.NaN
  const noise = noiseImage(input.noise, input.image)
  const scaled = floatImage(noise.width, noise.height)
  for (let i = 0; i < scaled.data.length; i++) scaled.data[i] = noise.data[i]! * squares
  return { image, noise: scaled }
}

/**
 * The median ratio science/reference of the fluxes of stars with S/N ≥ 20 in both, or 1 when fewer than 3. Fluxes in
 * a wide aperture (2.5 FWHM of the blurrier PSF), not PSF fits: the two images' PSF models err differently, and a
 * per-cent bias between them leaves a per-cent of every bright star in the difference — a "detection" at each one.
 */
export function fluxScale(science: SubtractInput, reference: SubtractInput): number {
  const { detections } = detectSources(science.image, {
    fwhm: science.psf.fwhm,
    noise: science.noise,
    threshold: 20,
    negative: false,
  })
  const apertureRadius = 2.5 * Math.max(science.psf.fwhm, reference.psf.fwhm)
  const ratios: number[] = []
  for (const star of detections.slice(0, 200)) {
    const s = measureOne(science.image, star.x, star.y, 1, { psf: science.psf, noise: science.noise, apertureRadius })
    const r = measureOne(reference.image, star.x, star.y, 1, { psf: reference.psf, noise: reference.noise, apertureRadius })
    if (s.apFlux >= 20 * s.apFluxErr && r.apFlux >= 20 * r.apFluxErr && s.nbad === 0 && r.nbad === 0) ratios.push(s.apFlux / r.apFlux)
  }
  if (ratios.length < 3) return 1
  ratios.sort((a, b) => a - b)
  return ratios[ratios.length >> 1]!
}

/**
 * The PSF of `psf` convolved with a Gaussian of σ `sigma`: the science PSF after matching, which is what a source
 * that appeared in the science image looks like on the difference (the reference's own PSF model is a stack's and
 * differs in shape, which biased such fluxes low by ~6 %).
 */
function convolvedPsf(psf: PsfModel, sigma: number): PsfModel {
  const taps = gaussianTaps(sigma)
  const pad = taps.length >> 1
  const size = psf.kernel.width + 2 * pad
  const padded = floatImage(size, size)
  for (let y = 0; y < psf.kernel.height; y++) {
    padded.data.set(psf.kernel.data.subarray(y * psf.kernel.width, (y + 1) * psf.kernel.width), (y + pad) * size + pad)
  }
  const kernel = separableFilter(padded, taps)
  let sum = 0
  for (const value of kernel.data) sum += value
  for (let i = 0; i < kernel.data.length; i++) kernel.data[i]! /= sum
  const fwhm = Math.sqrt(psf.fwhm ** 2 + (FWHM_PER_SIGMA * sigma) ** 2)
  return { fwhm, elongation: psf.elongation, angle: psf.angle, kernel, stars: psf.stars }
}

/** science − scale·reference with matched PSFs. */
/**
 * `noiseInto`: an image of the grid the caller gives up (e.g. the science noise map it passes, read before written at
 * each pixel) to hold the difference's noise map instead of a new buffer.
 */
export function subtractImages(science: SubtractInput, reference: SubtractInput, noiseInto?: FloatImage): Subtraction {
  if (science.image.width !== reference.image.width || science.image.height !== reference.image.height) {
    throw new RangeError(
      `science ${science.image.width}×${science.image.height} and reference ${reference.image.width}×${reference.image.height} are not on one grid`,
    )
  }
  const sigmaScience = science.psf.fwhm / FWHM_PER_SIGMA
  const sigmaReference = reference.psf.fwhm / FWHM_PER_SIGMA
  const kernelSigma = Math.sqrt(Math.abs(sigmaScience ** 2 - sigmaReference ** 2))
  // Below a tenth of a pixel the Gaussian is a delta function on this grid: convolving would only add smoothing.
  const convolved = kernelSigma < 0.1 ? 'none' : sigmaScience < sigmaReference ? 'science' : 'reference'
  const scale = fluxScale(science, reference)
  const half = Math.max(2, Math.ceil(3 * kernelSigma))
  if (science.psf.stars > 0 && reference.psf.stars > 0 && half <= MAX_KERNEL_HALF) {
    return kernelSubtraction(
      science,
      reference,
      scale,
      sigmaScience <= sigmaReference ? 'science' : 'reference',
      half,
      kernelSigma,
      noiseInto,
    )
  }
  const s = convolved === 'science' ? convolve(science, kernelSigma) : convolve(science, 0)
  const r = convolved === 'reference' ? convolve(reference, kernelSigma) : convolve(reference, 0)
  const difference = floatImage(science.image.width, science.image.height)
  const noise = floatImage(science.image.width, science.image.height)
  for (let i = 0; i < difference.data.length; i++) {
    difference.data[i] = s.image.data[i]! - scale * r.image.data[i]!
    noise.data[i] = Math.hypot(s.noise.data[i]!, scale * r.noise.data[i]!)
  }
  // Sources that changed are in the science image: the difference shows them with the science PSF as matched.
  const psf = convolved === 'science' ? convolvedPsf(science.psf, kernelSigma) : science.psf
  return { difference, noise, psf, fluxScale: scale, convolved, kernelSigma, method: 'gaussian-kernel' }
}

/**
 * The largest fitted kernel: 11×11 (121 multiply-adds a pixel, ~2 s for a 4096² image on one core). Seeing
 * differences needing more (3σ > 5 px) fall back to the Gaussian kernel, whose separable filter costs the same.
 */
const MAX_KERNEL_HALF = 5

/** Subtraction with a least-squares kernel (kernel-match.ts) applied to the sharper image. */
function kernelSubtraction(
  science: SubtractInput,
  reference: SubtractInput,
  scale: number,
  convolved: 'science' | 'reference',
  half: number,
  kernelSigma: number,
  noiseInto: FloatImage | undefined,
): Subtraction {
  const [sharp, blurry] = convolved === 'science' ? [science, reference] : [reference, science]
  const kernel = fitMatchingKernel(sharp.psf, blurry.psf, half)
  let squares = 0
  for (const k of kernel) squares += k * k
  const root = Math.sqrt(squares)
  const matched = convolveWithKernel(sharp.image, kernel, half)
  const s = convolved === 'science' ? matched : science.image
  const r = convolved === 'reference' ? matched : reference.image
  const { width, height } = science.image
  // The difference goes into the matched image's own buffer, read and written at the same index: one 4096² image less.
  const difference = matched
  const noise = noiseInto !== undefined && noiseInto.data.length === width * height ? noiseInto : floatImage(width, height)
  const sn = science.noise
  const rn = reference.noise
  const sRoot = convolved === 'science' ? root : 1
  const rRoot = convolved === 'reference' ? root : 1
  for (let i = 0; i < difference.data.length; i++) {
    difference.data[i] = s.data[i]! - scale * r.data[i]!
    const a = (typeof sn === 'number' ? sn : sn.data[i]!) * sRoot
    const b = (typeof rn === 'number' ? rn : rn.data[i]!) * rRoot * scale
    noise.data[i] = Math.sqrt(a * a + b * b)
  }
  // Changed sources are in the science image: the difference shows them with its PSF as matched.
  const blurrier = Math.max(science.psf.fwhm, reference.psf.fwhm)
  const psf = convolved === 'science' ? convolvedPsfModel(science.psf, kernel, half, blurrier) : science.psf
  return { difference, noise, psf, fluxScale: scale, convolved, kernelSigma, method: 'least-squares-kernel' }
}
