/**
 * The Moffat point-spread function (Moffat 1969, A&A 3, 455), the usual model of a ground-based star image: a core
 * like a Gaussian with the broad wings seeing gives real stars, which a Gaussian lacks.
 *
 *   I(r) = flux · (β − 1) / (π α²) · (1 + r²/α²)^(−β),   FWHM = 2 α √(2^(1/β) − 1)
 *
 * The profile integrates to `flux` over the plane; the fraction inside radius R is 1 − (1 + R²/α²)^(1 − β).
 */
import type { FloatImage } from '../float-image.js'

export interface Moffat {
  /** Full width at half maximum, pixels. */
  readonly fwhm: number
  /** The wing exponent: 2.5–4.5 for real seeing (Trujillo et al. 2001 find ≈ 4.765 for pure turbulence). */
  readonly beta: number
}

/** α of a Moffat profile with this FWHM and β. */
export function moffatAlpha({ fwhm, beta }: Moffat): number {
  return fwhm / (2 * Math.sqrt(2 ** (1 / beta) - 1))
}

/** The fraction of the total flux inside radius `r` (pixels). */
export function moffatEnclosed(psf: Moffat, r: number): number {
  const alpha = moffatAlpha(psf)
  return 1 - (1 + (r * r) / (alpha * alpha)) ** (1 - psf.beta)
}

/** The half-size of the box a star is drawn in: the radius holding 99.5 % of the flux, at least 2 FWHM. */
export function moffatRadius(psf: Moffat): number {
  const alpha = moffatAlpha(psf)
  // Solve 1 − (1 + R²/α²)^(1−β) = 0.995 for R.
  const r = alpha * Math.sqrt(0.005 ** (1 / (1 - psf.beta)) - 1)
  return Math.ceil(Math.max(r, 2 * psf.fwhm))
}

/**
 * Adds a star of `flux` centred at (x, y) (0-based pixel coordinates, centre of the first pixel at 0) to `image`.
 * Each pixel gets the profile integrated over its area by 3×3 sub-sampling (a point sample at the centre would
 * overweight the peak of a sharp PSF by several per cent). Pixels beyond the box are left out; the flux they would
 * hold (0.5 %) is missing from the image, as the truth table's aperture note says.
 */
export function addMoffatStar(image: FloatImage, x: number, y: number, flux: number, psf: Moffat): void {
  const alpha = moffatAlpha(psf)
  const a2 = alpha * alpha
  const norm = (flux * (psf.beta - 1)) / (Math.PI * a2) / 9
  const radius = moffatRadius(psf)
  const x0 = Math.max(0, Math.floor(x - radius))
  const x1 = Math.min(image.width - 1, Math.ceil(x + radius))
  const y0 = Math.max(0, Math.floor(y - radius))
  const y1 = Math.min(image.height - 1, Math.ceil(y + radius))
  const negBeta = -psf.beta
  const { data, width } = image
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      let sum = 0
      for (let sy = -1; sy <= 1; sy++) {
        const dy = py + sy / 3 - y
        for (let sx = -1; sx <= 1; sx++) {
          const dx = px + sx / 3 - x
          sum += (1 + (dx * dx + dy * dy) / a2) ** negBeta
        }
      }
      data[py * width + px]! += norm * sum
    }
  }
}
