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
 * because the reference is a stack with far lower noise than the science image). The sky σ maps leave out what
 * scales with the sources — their Poisson noise, the registration error, the flux scale's error — and without those
 * every bright static star's per-cent residual was a 5–13σ "detection"; `addModelNoise` adds them (ZOGY §3.3).
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
  /** σ per pixel (background-subtracted image): the sky's, without the sources' own Poisson noise. */
  readonly noise: number | FloatImage
  /**
   * Electrons per ADU, for the sources' own Poisson noise (omitted: none is added). For a stack, the gain of one of
   * its frames (the stack is on their flux scale), with `frames` how many were averaged: its source variance is /N.
   */
  readonly gain?: number
  readonly frames?: number
}

export interface SubtractOptions {
  /**
   * Registration error, pixels (σ per axis): the difference's variance gets σ²·|∇R|² of the matched reference R
   * (ZOGY's astrometric term, Zackay, Ofek & Gal-Yam 2016, ApJ 830, 27, §3.3). Default 0.05 (`ASTROMETRIC_SIGMA`).
   */
  readonly astrometricSigma?: number
  /**
   * Fractional flux-scale / PSF-model error: the variance gets (ε·R)² (ZOGY §3.3's flux-scale term, which also
   * stands in for the PSF models' own error). Default `FLUX_SCALE_ERROR`.
   */
  readonly fluxScaleError?: number
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
export function subtractImages(
  science: SubtractInput,
  reference: SubtractInput,
  options: SubtractOptions = {},
  noiseInto?: FloatImage,
): Subtraction {
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
      options,
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
  // Σk² of the 2-D Gaussian (separable): the factor a convolution puts on white variance.
  const gaussianSquares = (sigma: number): number => gaussianTaps(sigma).reduce((sum, tap) => sum + tap * tap, 0) ** 2
  addModelNoise(noise, r.image, r.noise, 1, scale, {
    scienceShot: shotFactor(science, convolved === 'science' ? gaussianSquares(kernelSigma) : 1),
    referenceShot: shotFactor(reference, convolved === 'reference' ? gaussianSquares(kernelSigma) : 1),
    astrometric: options.astrometricSigma ?? ASTROMETRIC_SIGMA,
    fluxScale: options.fluxScaleError ?? FLUX_SCALE_ERROR,
    smoothing: Math.max(sigmaScience, sigmaReference),
  })
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
  options: SubtractOptions,
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
  const noise = noiseInto !== undefined && noiseInto.data.length === width * height ? noiseInto : floatImage(width, height)
  const sn = science.noise
  const rn = reference.noise
  const sRoot = convolved === 'science' ? root : 1
  const rRoot = convolved === 'reference' ? root : 1
  for (let i = 0; i < noise.data.length; i++) {
    const a = (typeof sn === 'number' ? sn : sn.data[i]!) * sRoot
    const b = (typeof rn === 'number' ? rn : rn.data[i]!) * rRoot * scale
    noise.data[i] = Math.sqrt(a * a + b * b)
  }
  // Before the difference is written: when the reference is the image convolved, `r` is the matched buffer the
  // difference goes into, and the model terms need the matched reference (its values and gradient).
  addModelNoise(noise, r, rn, rRoot, scale, {
    scienceShot: shotFactor(science, sRoot * sRoot),
    referenceShot: shotFactor(reference, rRoot * rRoot),
    astrometric: options.astrometricSigma ?? ASTROMETRIC_SIGMA,
    fluxScale: options.fluxScaleError ?? FLUX_SCALE_ERROR,
    smoothing: Math.max(science.psf.fwhm, reference.psf.fwhm) / FWHM_PER_SIGMA,
  })
  // The difference goes into the matched image's own buffer, read and written at the same index: one 4096² image less.
  const difference = matched
  for (let i = 0; i < difference.data.length; i++) difference.data[i] = s.data[i]! - scale * r.data[i]!
  // Changed sources are in the science image: the difference shows them with its PSF as matched.
  const blurrier = Math.max(science.psf.fwhm, reference.psf.fwhm)
  const psf = convolved === 'science' ? convolvedPsfModel(science.psf, kernel, half, blurrier) : science.psf
  return { difference, noise, psf, fluxScale: scale, convolved, kernelSigma, method: 'least-squares-kernel' }
}

/**
 * The default registration error, pixels per axis: Lanczos-3 alignment through two exact WCSs puts a star within
 * 0.02 px (subtract.test.ts), and the reference's own centroids scatter by a few hundredths; 0.05 rounds that up. A
 * survey whose astrometric fit is worse should pass its rms.
 */
export const ASTROMETRIC_SIGMA = 0.05

/**
 * The default fractional flux-scale / PSF-model error. The e2e run's false detections were residuals of 3–4 % of a
 * star's flux, both signs, mostly the PSF models' shape mismatch; the Poisson and registration terms alone already
 * reject them on that sky (ε = 0 leaves none), and 2 % is a floor for the flux scale's own error (a median of tens
 * of star ratios) on skies that are not simulated.
 */
export const FLUX_SCALE_ERROR = 0.02

/** Variance per ADU of an image's sources after a convolution with Σk² `squares`: Σk²/(gain·frames); 0 without a gain. */
function shotFactor(input: SubtractInput, squares: number): number {
  const gain = input.gain
  if (gain === undefined || !(gain > 0)) return 0
  return squares / (gain * Math.max(1, input.frames ?? 1))
}

interface ModelNoise {
  readonly scienceShot: number
  readonly referenceShot: number
  readonly astrometric: number
  readonly fluxScale: number
  /** σ of the PSF, pixels: the astrometric term is spread over it. */
  readonly smoothing: number
}

/**
 * Adds to the difference's σ map, in place, the noise the two sky σ maps leave out and that is proportional to the
 * sources themselves — why every static star left a 5–13σ residual without it:
 * - the sources' Poisson noise: var = F·Σk²/(gain·frames) for each image. F is the matched reference's model of the
 *   static sky, scale·R, in both (the science image's own pixels would add the positive half of the sky noise
 *   everywhere, +1 % σ, and count a new source's noise against itself); R only where it exceeds 2σ of its own noise,
 *   so empty sky keeps its σ. A star of 10⁴ ADU has σ ≈ 80 ADU of it, more than the sky gives its PSF flux (the
 *   variance plane production pipelines carry: Rubin's, ZTF's uncertainty images; ZOGY's noise includes it too);
 * - ZOGY's astrometric term σ_ast²·|∇(scale·R)|² (§3.3): a registration error of σ_ast px moves a star by that much,
 *   leaving a dipole of that amplitude;
 * - ZOGY's flux-scale term (ε·scale·R)², which also covers the PSF models' per-cent errors (the matched reference's
 *   PSF differs from the science's by that much in the wings).
 * `referenceNoise`·`referenceRoot` is σ of the matched reference per pixel.
 */
function addModelNoise(
  noise: FloatImage,
  r: FloatImage,
  referenceNoise: number | FloatImage,
  referenceRoot: number,
  scale: number,
  terms: ModelNoise,
): void {
  const { width, height } = noise
  const n = noise.data
  const rd = r.data
  const ast2 = terms.astrometric * terms.astrometric * scale * scale
  const flux2 = terms.fluxScale * terms.fluxScale * scale * scale
  // The astrometric term is 0 at a star's peak and largest on its flanks, where a shift's dipole lobes are. Per pixel,
  // it would make the PSF fit (inverse-variance weights) trust the peak alone and the matched filter divide lobes by
  // a σ they do not have at their centre; ZOGY applies it to the PSF-filtered image (its score), so it is smoothed
  // here over the PSF (`smoothing`, σ in pixels) — each pixel near a star gets the registration noise of the star.
  const astrometric = floatImage(width, height)
  if (ast2 > 0) {
    for (let y = 1; y < height - 1; y++) {
      for (let x = 1; x < width - 1; x++) {
        const i = y * width + x
        const gx = (rd[i + 1]! - rd[i - 1]!) / 2
        const gy = (rd[i + width]! - rd[i - width]!) / 2
        if (Number.isFinite(gx) && Number.isFinite(gy)) astrometric.data[i] = ast2 * (gx * gx + gy * gy)
      }
    }
  }
  const spread = ast2 > 0 ? separableFilter(astrometric, gaussianTaps(terms.smoothing)).data : astrometric.data
  for (let i = 0; i < n.length; i++) {
    const rv = rd[i]!
    if (Number.isNaN(rv) || Number.isNaN(n[i]!)) continue
    const sigma = (typeof referenceNoise === 'number' ? referenceNoise : referenceNoise.data[i]!) * referenceRoot
    const model = rv > 2 * sigma ? rv : 0
    const shot = (terms.scienceShot * scale + terms.referenceShot * scale * scale) * model
    n[i] = Math.sqrt(n[i]! * n[i]! + shot + flux2 * model * model + spread[i]!)
  }
}
