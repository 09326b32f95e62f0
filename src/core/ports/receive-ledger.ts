import type { ImageRecord, ImageStatus, NewImage } from '../types.js'
import type { Page } from './page.js'

/** One image the receive stage looks for before claiming a number: the same bytes under the same name. */
export interface IngestedLookup {
  stream: string
  contentSha256: string
  imageFilename: string
}

/**
 * What the receive stage writes and reads of the catalog: it claims a window of image numbers, puts their bytes
 * and ends their `storing` state, and after a crash finds the rows it left unfinished. Batch methods only: a
 * window of one is a batch of one.
 *
 * Writes are idempotent on (stream, image_num), so that an at-least-once transport yields exactly-once rows.
 */
export interface ReceiveLedger {
  /**
   * The receive stage's claim of a window of images in one statement: inserts each image whose (stream, imageNum)
   * is free, in the given order, and returns the stored row of every number, in the same order (the new row,
   * or the row another writer or an earlier run put there: the caller tells them apart by its bytes and name).
   */
  insertImages(images: readonly NewImage[]): Promise<ImageRecord[]>
  /**
   * Ends the `storing` state of images whose bytes are now in the store, in one statement: status → `status`.
   * An image that already left `storing` (a concurrent or earlier finish) is left as it is. Rows in the given order.
   */
  finishStoringImages(imageIds: readonly number[], status: 'received' | 'failed'): Promise<ImageRecord[]>
  /** 1 + the largest image_num of the stream (1 for a new stream). */
  nextImageNum(stream: string): Promise<number>
  /**
   * Every image that matches one of the look-ups exactly (stream, bytes, file name), ascending by id: the duplicate
   * check of a window of images at once.
   */
  findIngestedImages(lookups: readonly IngestedLookup[]): Promise<ImageRecord[]>
  /** The failed image of the stream with this file name whose bytes were never read (unreadable, too large). */
  findUnreadFile(stream: string, imageFilename: string): Promise<ImageRecord | null>
  /** Recovery: images left in a status (`storing` after a crash, `received` to republish), ascending by id. */
  listImagesByStatus(status: ImageStatus, page: Page): Promise<ImageRecord[]>
}
