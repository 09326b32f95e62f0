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
}
