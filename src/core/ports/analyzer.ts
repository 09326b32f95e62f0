/**
 * The analyzer seam: what the analyze stage hands an analysis and what it gets back. The stage finds the pixels
 * (decode, cache, budget), the predecessor, the reference and the rows; an analyzer only looks at pixels and headers
 * and says what it measured, which events it raises, which detections it found and which images it made.
 * Implementations: `pixel-diff` (analysis/pixel-diff/), today's comparison with the previous image, for every
 * stream; `diffim` (analysis/diffim/), difference imaging against the field's reference, for FITS images with a WCS
 * whose field has a reference.
 *
 * Left out on purpose:
 * - Measurements beyond the three columns of `image` (l2_norm, changed_fraction, max_abs_difference) for the image
 *   row; difference imaging's own figures go with `run` and `detections` (ScienceLedger, ObjectLedger).
 * - More than one event per image: `image_event` is unique per image; an event carries all its image's detections.
 */
import type { EventType, ImageRecord } from '../types.js'
import type { DiffimRun } from './science-ledger.js'

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
  /** The field's reference (difference imaging); absent or null for analyzers that compare with `previous`. */
  readonly reference?: AnalyzerReference | null
  /**
   * The caller gives the previous image's pixels up (nobody else holds them): the analyzer may overwrite them, e.g.
   * with the difference (one full-size buffer less: 147 MB for a 7000×7000 picture, 64 MB for a 4096² float frame).
   */
  readonly previousExpendable?: boolean
}

/** A field's reference as an analyzer gets it: the stored FITS file's two HDUs and the primary header (its WCS). */
export interface AnalyzerReference {
  readonly referenceId: number
  /** Background-subtracted reference pixels, NaN where masked. */
  readonly image: FloatPixels
  /** σ per pixel. */
  readonly noise: FloatPixels
  /** The primary HDU's header as FITS text (80-character cards). */
  readonly header: string
}

/** A source difference imaging found, measured and scored (analysis/diffim/measure.ts, real-bogus.ts). */
export interface AnalyzerDetection {
  /** 0-based pixel centroid on the science image, and its sky position (degrees, ICRS). */
  readonly x: number
  readonly y: number
  readonly ra: number
  readonly dec: number
  readonly psfFlux: number
  readonly psfFluxErr: number
  readonly apFlux: number
  readonly apFluxErr: number
  /** psfFlux / psfFluxErr, signed: negative for a fading source. */
  readonly snr: number
  readonly fwhm: number
  readonly elongation: number
  readonly nbad: number
  readonly nneg: number
  readonly edgeDistance: number
  readonly realBogus: number
  readonly kind: 'new_source' | 'brightening' | 'fading'
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
  /** Index into `detections` of the detection a stamp belongs to; absent for whole-image products. */
  readonly detection?: number
}

export interface AnalyzerEvent {
  readonly eventType: EventType
  /** The derivative the event is shown with (its `name`): stored as the event's difference image. */
  readonly derivative: string
}

export interface AnalyzerOutput {
  readonly measurements: Measurements
  /** Zero or one (image_event is unique per image). */
  readonly events: readonly AnalyzerEvent[]
  /**
   * Made only when an event needs them (encoding is most of an event's cost). The one an event names is stored as
   * the event's difference image; the others go to `image_event_derivative_image`.
   */
  readonly derivatives: readonly Derivative[]
  /** Difference imaging: the detections that passed the real-bogus cut, fakes excluded, most significant first. */
  readonly detections?: readonly AnalyzerDetection[]
  /** Difference imaging: how the run went (method, fit quality, fakes and their recovery). */
  readonly run?: Omit<DiffimRun, 'imageId'>
}

export interface Analyzer {
  /** Recorded with every event it raises (`image_event.analyzer`, `analyzer_version`): rows keep meaning what they said. */
  readonly name: string
  readonly version: string
  analyze(input: AnalyzerInput): Promise<AnalyzerOutput>
}
