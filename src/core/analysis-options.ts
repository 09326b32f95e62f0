import type { ScienceOptions } from './science-options.js'

/** What the analysis needs to know from the configuration: the event rule and the decoding limits. */
export interface AnalysisOptions {
  /** Fraction of changed pixels above which an image is an event. */
  eventThreshold: number
  /** A pixel counts as changed when a channel differs by more than this (0..254). */
  pixelTolerance: number
  /** Decompression-bomb guard: images with more pixels are rejected before decoding. */
  maxImagePixels: number
  /** Files larger than this are rejected before reading them whole. */
  maxImageBytes: number
  /**
   * IMGPIPE_ANALYSIS_DIR, absolute, or null (the default): where the receive stage writes a copy of each image of
   * the default stream as `image_NNNNN.<ext>` and names it in the message's `image_analysis_path`.
   */
  analysisDir: string | null
  /** Budget of the analyze stage's decoded-image cache in bytes; 0 turns it off. */
  decodeCacheBytes: number
  /**
   * IMGPIPE_FITS_HDU: the HDU of a FITS file the receive stage reads, by EXTNAME or 0-based index; undefined (the
   * default): the first HDU with pixels. The chosen index is recorded (`observation.hdu`) for the analyze stage.
   */
  fitsHdu?: string | number | undefined
  /** Difference imaging (FITS images with a field, a filter and a WCS); absent: its defaults. */
  science?: ScienceOptions
}

/**
 * Decompression-bomb guard: the default of IMGPIPE_MAX_IMAGE_PIXELS (50 megapixels, a 7000×7000 frame fits), and
 * the viewer's thumbnail guard, which has no setting of its own.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
