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
import { FWHM_PER_SIGMA, gaussianPsf, gaussianTaps, separableFilter } from './gaussian-psf.js'
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
  /** The PSF of the difference image (the blurrier of the two after matching). */
  readonly psf: PsfModel
  /** Reference flux × scale = science flux. */
  readonly fluxScale: number
  /** Which image was convolved, and by a Gaussian of what σ (pixels). */
  readonly convolved: 'science' | 'reference' | 'none'
  readonly kernelSigma: number
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

/** The median ratio science/reference of PSF fluxes of stars with S/N ≥ 20 in both, or 1 when fewer than 3. */
export function fluxScale(science: SubtractInput, reference: SubtractInput): number {
  const { detections } = detectSources(science.image, {
    fwhm: science.psf.fwhm,
    noise: science.noise,
    threshold: 20,
    negative: false,
  })
  const ratios: number[] = []
  for (const star of detections.slice(0, 200)) {
    const s = measureOne(science.image, star.x, star.y, 1, { psf: science.psf, noise: science.noise })
    const r = measureOne(reference.image, star.x, star.y, 1, { psf: reference.psf, noise: reference.noise })
    if (s.snr >= 20 && r.snr >= 20 && s.nbad === 0 && r.nbad === 0) ratios.push(s.psfFlux / r.psfFlux)
  }
  if (ratios.length < 3) return 1
  ratios.sort((a, b) => a - b)
  return ratios[ratios.length >> 1]!
}

/** science − scale·reference with matched PSFs. */
export function subtractImages(science: SubtractInput, reference: SubtractInput): Subtraction {
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
  const s = convolved === 'science' ? convolve(science, kernelSigma) : convolve(science, 0)
  const r = convolved === 'reference' ? convolve(reference, kernelSigma) : convolve(reference, 0)
  const difference = floatImage(science.image.width, science.image.height)
  const noise = floatImage(science.image.width, science.image.height)
  for (let i = 0; i < difference.data.length; i++) {
    difference.data[i] = s.image.data[i]! - scale * r.image.data[i]!
    noise.data[i] = Math.hypot(s.noise.data[i]!, scale * r.noise.data[i]!)
  }
  const blurrier = Math.max(science.psf.fwhm, reference.psf.fwhm)
  const psf =
    convolved === 'none'
      ? science.psf
      : blurrier === science.psf.fwhm && science.psf.stars > 0
        ? science.psf
        : blurrier === reference.psf.fwhm && reference.psf.stars > 0
          ? reference.psf
          : gaussianPsf(blurrier)
  return { difference, noise, psf, fluxScale: scale, convolved, kernelSigma }
}
