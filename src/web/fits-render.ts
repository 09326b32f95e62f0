/**
 * The CPU-heavy half of showing a FITS image on the web: decode the recorded HDU into float32 and make its
 * zscale + asinh preview (8-bit RGB, FITS row 1 at the bottom, masked pixels dark blue). Pure and synchronous, so
 * it runs the same in the render worker (`fits-render-worker.ts`, the built server) and inline (tests run from
 * the TypeScript sources, where a worker cannot load them).
 */
import { preview } from '../analysis/display/preview.js'
import { readFits } from '../analysis/fits/fits-reader.js'
import type { HeaderCard } from '../analysis/fits/header-card.js'

export interface FitsRenderRequest {
  /** The object's bytes; given up (the reader byte-swaps float pixels where they lie). */
  bytes: Uint8Array
  /** The HDU the image was recorded from (its observation's `hdu`); the first image HDU when absent. */
  hdu?: number
  maxPixels: number
  /** The preview's longest side; the image is shrunk by the smallest integer factor that fits. */
  maxSize: number
}

export interface FitsRendering {
  hdu: number
  header: HeaderCard[]
  width: number
  height: number
  /** The float32 pixels, FITS row 1 first; NaN where masked. */
  data: Float32Array
  preview: { width: number; height: number; factor: number; vmin: number; vmax: number; rgb: Uint8Array }
}

export function renderFits(request: FitsRenderRequest): FitsRendering {
  const fits = readFits(request.bytes, {
    maxPixels: request.maxPixels,
    reuseInput: true,
    ...(request.hdu === undefined ? {} : { hdu: request.hdu }),
  })
  const { image } = fits
  const shown = preview(image, { maxSize: request.maxSize, stretch: 'asinh' })
  return {
    hdu: fits.hdu,
    header: fits.header,
    width: image.width,
    height: image.height,
    data: image.data,
    preview: {
      width: shown.width,
      height: shown.height,
      factor: shown.factor,
      vmin: shown.interval.vmin,
      vmax: shown.interval.vmax,
      rgb: shown.data,
    },
  }
}
