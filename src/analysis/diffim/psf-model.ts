import type { FloatImage } from '../float-image.js'

/**
 * A point-spread function as the difference-imaging steps exchange it: measured on an image (psf-measure), matched
 * between two images (psf-match), and used as the detection filter and the PSF-photometry profile (detect, measure).
 */
export interface PsfModel {
  /** Full width at half maximum, pixels (geometric mean of the major and minor axes). */
  fwhm: number
  /** Major over minor axis (1 for a round PSF). */
  elongation: number
  /** Position angle of the major axis, radians from +x towards +y. */
  angle: number
  /** The PSF as an image: odd width and height, centred on the middle pixel, normalised to sum 1. */
  kernel: FloatImage
  /** How many stars it was measured on (0 for a model made from a size alone). */
  stars: number
}
