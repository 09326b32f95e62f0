import type { AnalysisResult, ImageEventRecord, ImageRecord, NewImageEvent } from '../types.js'
import type { Page } from './page.js'

/** One image's analysis to record (see {@link AnalysisLedger.recordAnalyses}). */
export interface AnalysisWrite {
  imageId: number
  result: AnalysisResult
  event: NewImageEvent | null
}

/** What {@link AnalysisLedger.recordAnalyses} did for one write: its event (new or existing) when it had one. */
export interface AnalysisWriteOutcome {
  event: ImageEventRecord | null
  created: boolean
}

/**
 * What the analyze stage writes and reads of the catalog: the image and its predecessor in, the analysis and its
 * event out, the difference image's key on the event, and after a crash the events left without key or alert.
 * Also the numbering of rows the original's receiving client wrote without a number. Batch writes only.
 *
 * An event is idempotent on image_id: recording an analysis twice returns the existing event, `created: false`.
 */
export interface AnalysisLedger {
  getImage(imageId: number): Promise<ImageRecord | null>
  /** The latest image of the same stream before `imageNum` whose status is not `failed`. */
  findPreviousImage(stream: string, imageNum: number): Promise<ImageRecord | null>
  /**
   * {@link getImage} and {@link findPreviousImage} of its number in one round trip: null when the image is not
   * there; `previous` null when it has no number or no earlier image that is not failed.
   */
  getImageWithPrevious(imageId: number): Promise<{ image: ImageRecord; previous: ImageRecord | null } | null>
  getEventByImageId(imageId: number): Promise<ImageEventRecord | null>
  /**
   * In one transaction and a few statements whatever their number (the analyze stage gathers the writes of its
   * concurrent handlers): stores each analysis on its image row (status → analyzed) and, when given, inserts the
   * event unless the image already has one. Outcomes are in the writes' order; a write without an event gets
   * `{ event: null, created: false }` (an existing event is not looked up). A missing image fails the whole batch
   * with NotFoundError.
   */
  recordAnalyses(writes: readonly AnalysisWrite[]): Promise<AnalysisWriteOutcome[]>
  /**
   * Sets the difference image key of events inserted without one (idempotent), in two statements; rows in the
   * given order.
   */
  setEventDifferenceKeys(keys: readonly { imageEventId: number; differenceImageObjectKey: string }[]): Promise<ImageEventRecord[]>
  /** Status → failed with a stable error code and a one-line message (kept, never deleted). */
  markImageFailed(imageId: number, errorCode: string, errorMessage: string): Promise<void>
  /** Recovery: events whose difference image was never stored (a crash between the event insert and the upload). */
  listEventsWithoutKey(page: Page): Promise<ImageEventRecord[]>
  /** Recovery: events that have a difference image key but no alert yet (to publish to the alert stage again). */
  listEventsWithoutAlert(page: Page): Promise<ImageEventRecord[]>
  /** Rows of the stream without a number (the original's receiving client writes them), ascending by id. */
  listUnnumberedImages(stream: string, page: Page): Promise<ImageRecord[]>
  /**
   * Gives a row without a number (written by the original's receiving client) its stream and number.
   * Returns the row; a row that already has a number keeps it.
   */
  assignImageNum(imageId: number, stream: string, imageNum: number): Promise<ImageRecord>
}
