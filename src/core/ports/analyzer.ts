/**
 * The analyzer seam: what the analyze stage hands an analysis and what it gets back. The stage finds the pixels
 * (decode, cache, budget), the predecessor and the rows; an analyzer only looks at pixels and headers and says what
 * it measured, which events it raises and which images it made. Today's comparison with the previous image is the
 * first implementation (`pixel-diff`, analysis/pixel-diff/); difference imaging against a reference is meant to be
 * the second.
 *
 * Left out on purpose, until a second analyzer needs them:
 * - Choosing analyzers per stream: the stage runs `pixel-diff` on every image. A table of analyzers per stream (and
 *   the original's planned `image_event_type` table of event type names) comes with the second analyzer.
 * - Measurements beyond the three columns of `image` (l2_norm, changed_fraction, max_abs_difference): there is no
 *   per-analyzer measurement table yet, so `measurements` has exactly today's fields.
 * - More than one derivative per event: `image_event` has one difference image key, so an event names one
 *   derivative; further derivatives an analyzer returns are not stored.
 * - The reference input is in the type but the stage never fills it (no reference images exist yet).
 * - FITS derivatives: derivatives are display images (JPEG) for the viewers and alert channels.
 */
import type { EventType, ImageRecord } from '../types.js'

/** 8-bit sRGB pixels, 3 interleaved channels, row-major: how pictures (JPEG, PNG, …) are analysed. */
export interface PicturePixels {
  readonly width: number
  readonly height: number
  readonly channels: 3
  readonly data: Uint8Array
}

/** One band of float pixels, row-major, NaN where masked: how science images (FITS) are analysed, never via 8 bits. */
export interface FloatPixels {
  readonly width: number
  readonly height: number
  readonly data: Float32Array
}

/** Decoded pixels of either kind; tell them apart with {@link isFloatPixels}. */
export type AnalysisPixels = PicturePixels | FloatPixels

export function isFloatPixels(pixels: AnalysisPixels): pixels is FloatPixels {
  return pixels.data instanceof Float32Array
}

/** One image as an analyzer sees it: its row (stream, number, format, header via `observation`) and its pixels. */
export interface AnalyzerImage {
  readonly record: ImageRecord
  readonly pixels: AnalysisPixels
}

export interface AnalyzerInput {
  readonly image: AnalyzerImage
  /** The last good image before it in its stream; null for the first image. */
  readonly previous: AnalyzerImage | null
  /** A reference image of the same field (not filled yet, see above). */
  readonly reference?: AnalyzerImage | null
  /**
   * The caller gives the previous image's pixels up (nobody else holds them): the analyzer may overwrite them, e.g.
   * with the difference (one full-size buffer less: 147 MB for a 7000×7000 picture, 64 MB for a 4096² float frame).
   */
  readonly previousExpendable?: boolean
}

/** What is recorded on the image's row; null when there was nothing to compare. */
export interface Measurements {
  l2Norm: number | null
  changedFraction: number | null
  maxAbsDifference: number | null
}

/** An image an analyzer made, e.g. the difference image. */
export interface Derivative {
  /** Names it among the analyzer's outputs, e.g. `difference`. */
  readonly name: string
  readonly bytes: Buffer
  /** Its MIME type, e.g. `image/jpeg`. */
  readonly contentType: string
}

export interface AnalyzerEvent {
  readonly eventType: EventType
  /** The derivative the event is shown with (its `name`): stored as the event's difference image. */
  readonly derivative: string
}

export interface AnalyzerOutput {
  readonly measurements: Measurements
  /** Zero or more; today at most one. */
  readonly events: readonly AnalyzerEvent[]
  /** Made only when an event needs them (encoding is most of an event's cost). */
  readonly derivatives: readonly Derivative[]
}

export interface Analyzer {
  /** Recorded with every event it raises (`image_event.analyzer`, `analyzer_version`): rows keep meaning what they said. */
  readonly name: string
  readonly version: string
  analyze(input: AnalyzerInput): Promise<AnalyzerOutput>
}
