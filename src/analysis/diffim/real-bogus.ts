/**
 * A real-bogus score in [0, 1] for a difference-image detection, from the features ZTF's and RAPID's candidate cuts
 * use (Masci et al. 2019 §3.8; IPAC's suggested cut: rb ≥ 0.65, nbad = 0, fwhm ≤ 5, elong ≤ 1.2; science-references).
 *
 * Not a trained classifier: each feature gives a factor in [0, 1] — 1 when it looks like a point source, falling
 * smoothly as it departs — and the score is their product. A subtraction residual (a dipole, a ring, a cosmic ray,
 * an edge) fails at least one: many opposite-sign pixels, a shape unlike the PSF, masked pixels, a PSF flux far from
 * the aperture flux. Completeness from injected fakes (fakes.ts) measures what the default cut costs.
 */
import { weightedShape, type Measurement } from './measure.js'
import type { PsfModel } from './psf-model.js'

export interface RealBogusOptions {
  /** The difference image's PSF measured the way `measure` measures a source (weighted-moment FWHM, pixels). */
  readonly psfFwhm: number
}

/** The options for a difference image with this PSF: its kernel measured with the sources' estimator. */
export function realBogusOptions(psf: PsfModel): RealBogusOptions {
  const half = psf.kernel.width >> 1
  const [fwhm] = weightedShape(psf.kernel, half, half, psf.fwhm, 1)
  return { psfFwhm: Number.isFinite(fwhm) ? fwhm : psf.fwhm }
}

export interface RealBogusFactors {
  readonly shape: number
  readonly elongation: number
  readonly negative: number
  readonly masked: number
  readonly fluxRatio: number
}

/** The default cut: detections scoring below it are not reported. */
export const REAL_BOGUS_THRESHOLD = 0.5

const smoothStep = (excess: number, scale: number): number => (excess <= 0 ? 1 : Math.exp(-((excess / scale) ** 2)))

/** The score's factors, for reports and tests. */
export function realBogusFactors(m: Measurement, options: RealBogusOptions): RealBogusFactors {
  const widthRatio = Number.isFinite(m.fwhm) ? m.fwhm / options.psfFwhm : 0
  // A point source has the PSF's width; noise moments scatter it by ~20 % at S/N 10.
  const shape = Number.isFinite(m.fwhm) ? smoothStep(Math.abs(widthRatio - 1) - 0.35, 0.25) : 0
  const elongation = Number.isFinite(m.elongation) ? smoothStep(m.elongation - 1.4, 0.3) : 0
  const negative = smoothStep(m.nneg - 2, 2)
  const masked = m.nbad === 0 ? 1 : 0
  // PSF and aperture fluxes agree for a point source (the aperture holds ~85–90 % of it); a ring or a dipole does not.
  const ratio = m.apFlux !== 0 ? m.psfFlux / m.apFlux : Number.POSITIVE_INFINITY
  const fluxRatio = ratio > 0 ? smoothStep(Math.abs(Math.log(ratio)) - 0.4, 0.3) : 0
  return { shape, elongation, negative, masked, fluxRatio }
}

export function realBogusScore(m: Measurement, options: RealBogusOptions): number {
  const f = realBogusFactors(m, options)
  return f.shape * f.elongation * f.negative * f.masked * f.fluxRatio
}
