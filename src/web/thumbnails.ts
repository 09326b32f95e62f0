import sharp from 'sharp'
import { DEFAULT_MAX_IMAGE_PIXELS } from '../core/analysis-options.js'
import { isImgpipeError } from '../core/errors.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import type { ImageRecord } from '../core/types.js'
import { isFitsImage, type FitsImages } from './fits-images.js'

/**
 * Small JPEG previews for the recent-alerts list, made once per image content and kept in the object
 * store under `thumbnail/<content_sha256>.jpg` (the same bytes always give the same key, so a re-ingested
 * or renumbered image finds its thumbnail, and `db reset` cannot make a key show another picture). They
 * are served by image id only, never by key. Decoding is bounded: at most {@link MAX_CONCURRENT} at once,
 * one at a time per key, and an image's pixels capped as at ingest.
 */

export const THUMBNAIL_WIDTH = 96
export const THUMBNAIL_HEIGHT = 72
const MAX_CONCURRENT = 2
/** Sharp's decompression-bomb guard, as the pipeline's default IMGPIPE_MAX_IMAGE_PIXELS. */
const MAX_INPUT_PIXELS = DEFAULT_MAX_IMAGE_PIXELS

/** The store key of an image's thumbnail; null when the image has no recorded content hash (not cached then). */
export function thumbnailKey(image: Pick<ImageRecord, 'contentSha256'>): string | null {
  const sha = image.contentSha256
  return sha !== null && /^[0-9a-f]{64}$/.test(sha) ? `thumbnail/${sha}.jpg` : null
}

export class Thumbnails {
  readonly #store: ObjectStore
  readonly #making = new Map<string, Promise<Buffer>>()
  readonly #waiting: (() => void)[] = []
  #active = 0

  readonly #onCacheError: (error: unknown) => void
  readonly #fits: FitsImages | undefined

  /**
   * `onCacheError` hears of thumbnails that could not be kept in the store (they are served all the same);
   * `fits` makes FITS images' thumbnails from their zscale previews (without it they fail as undecodable).
   */
  constructor(store: ObjectStore, onCacheError: (error: unknown) => void = () => undefined, fits?: FitsImages) {
    this.#store = store
    this.#onCacheError = onCacheError
    this.#fits = fits
  }

  /** The thumbnail's JPEG bytes; rejects with the store's ObjectNotFoundError when the image's object is gone. */
  async get(image: ImageRecord): Promise<Buffer> {
    const key = thumbnailKey(image)
    if (key === null) return this.#bounded(() => this.#make(image))
    try {
      return await this.#store.get(key)
    } catch (error) {
      if (!isImgpipeError(error) || error.code !== 'IMGPIPE_OBJECT_NOT_FOUND') throw error
    }
    // Two pages asking at once make it once.
    let making = this.#making.get(key)
    if (making === undefined) {
      making = this.#bounded(async () => {
        const bytes = await this.#make(image)
        try {
          await this.#store.put(key, bytes, { contentType: 'image/jpeg' })
        } catch (error) {
          // A viewer may well have read-only credentials: the thumbnail is still shown, made again next time.
          this.#onCacheError(error)
        }
        return bytes
      }).finally(() => this.#making.delete(key))
      this.#making.set(key, making)
    }
    return making
  }

  async #make(image: ImageRecord): Promise<Buffer> {
    if (this.#fits !== undefined && isFitsImage(image)) return this.#makeFits(this.#fits, image)
    const original = await this.#store.get(image.imageObjectKey)
    return sharp(original, { limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .resize({ width: THUMBNAIL_WIDTH, height: THUMBNAIL_HEIGHT, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 75 })
      .toBuffer()
  }

  /** A FITS image's thumbnail is its zscale + asinh preview, shrunk: the stretch an astronomer expects. */
  async #makeFits(fits: FitsImages, image: ImageRecord): Promise<Buffer> {
    // Thumbnails are bounded already (MAX_CONCURRENT): they wait for the renderer rather than fail the list's picture.
    const loaded = await fits.load(image, { wait: true })
    return sharp(loaded.png)
      .resize({ width: THUMBNAIL_WIDTH, height: THUMBNAIL_HEIGHT, fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 75 })
      .toBuffer()
  }

  async #bounded<T>(work: () => Promise<T>): Promise<T> {
    while (this.#active >= MAX_CONCURRENT) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    this.#active += 1
    try {
      return await work()
    } finally {
      this.#active -= 1
      this.#waiting.shift()?.()
    }
  }
}
