/**
 * A single-band image of float pixels, the form science images (FITS) are analysed in.
 *
 * Row-major with x fastest, in the order of the FITS data array: row 0 is FITS row 1 (`NAXIS2` index 1), which
 * viewers conventionally show at the bottom. Pixel coordinates elsewhere in the science code are 0-based with
 * the centre of the first pixel at (0, 0) — astropy's `origin=0` — so FITS pixel (i, j) is (i − 1, j − 1).
 * NaN marks a masked pixel: `BLANK` or NaN in the file, or outside a resampled reference's footprint.
 */
export interface FloatImage {
  readonly width: number
  readonly height: number
  readonly data: Float32Array
}

/** A new image of the given size, every pixel 0 (or `fill`). */
export function floatImage(width: number, height: number, fill = 0): FloatImage {
  const data = new Float32Array(width * height)
  if (fill !== 0) data.fill(fill)
  return { width, height, data }
}
