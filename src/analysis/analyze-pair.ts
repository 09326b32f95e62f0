import { InternalError } from '../core/errors.js'
import type { EventType } from '../core/types.js'
import { measureDifference } from './compare-images.js'
import type { ImageMetrics } from './compare-images.js'
import { resizeRaw } from './decode-image.js'
import type { RawImage } from './decode-image.js'
import { differenceImage, encodeJpeg } from './difference-image.js'

/** Name and version recorded with every image event (`image_event.analyzer`, `analyzer_version`). */
export const ANALYZER = { name: 'imgpipe-pixel-diff', version: '1.0.0' } as const

export interface PairAnalysisOptions {
  /** A pixel counts as changed when a channel differs by more than this (0..255). */
  pixelTolerance: number
  /** An event is raised when the changed fraction is greater than this (0..1). */
  eventThreshold: number
  /**
   * The caller owns `previous` and needs it no more: its buffer may become the difference image (one
   * full-size buffer less). Its pixels are garbage afterwards.
   */
  consumePrevious?: boolean
}

/** Metrics of one comparison, and the event it raises if any. */
export interface PairAnalysis {
  metrics: ImageMetrics & { sizeChanged: boolean }
  event: null | { eventType: EventType; differenceJpeg: Buffer }
}

/**
 * Compares an image with the previous image of its stream; the kernel of the analyze stage.
 *
 * Same size: an event of type `changed` iff `changedFraction > eventThreshold`. Different sizes: the
 * previous image is stretched to the current size for the metrics and the difference image, and there is
 * always a `size_changed` event (a camera that changes resolution is news even if the scene is not).
 * The difference image (see `differenceImage`) is encoded only when there is an event.
 */
export async function analyzePair(previous: RawImage, current: RawImage, options: PairAnalysisOptions): Promise<PairAnalysis> {
  const { eventThreshold } = options
  if (!Number.isFinite(eventThreshold) || eventThreshold < 0 || eventThreshold > 1) {
    throw new InternalError(`eventThreshold must be a number from 0 to 1, got ${eventThreshold}`)
  }
  const sizeChanged = previous.width !== current.width || previous.height !== current.height
  const base = sizeChanged ? await resizeRaw(previous, current.width, current.height) : previous
  const { minDifference, maxDifference, ...measured } = measureDifference(base, current, options)
  const metrics = { ...measured, sizeChanged }
  if (!sizeChanged && !(metrics.changedFraction > eventThreshold)) return { metrics, event: null }
  // A resized base is ours alone, so it is always safe to overwrite.
  const overwrite = sizeChanged || options.consumePrevious === true
  const differenceJpeg = await encodeJpeg(differenceImage(base, current, overwrite, { minDifference, maxDifference }))
  return { metrics, event: { eventType: sizeChanged ? 'size_changed' : 'changed', differenceJpeg } }
}
