import { createHash } from 'node:crypto'
import { decodeImage, type ImageLimits } from '../../analysis/decode-image.js'
import { isFits, readFits } from '../../analysis/fits/fits-reader.js'
import { InspectedPixels, pixelKey } from '../../analysis/inspected-pixels.js'
import { ObjectMismatchError } from '../../core/errors.js'
import type { AnalysisPixels } from '../../core/ports/analyzer.js'
import type { ObjectStore } from '../../core/ports/object-store.js'
import type { ImageRecord } from '../../core/types.js'
import { DecodedImageCache } from './decoded-image-cache.js'
import { analysisPixelBytes, PixelBudget } from './pixel-budget.js'

/** Budget of the pixels a receive stage of this process hands over (see InspectedPixels), within the decode cache's. */
const HAND_OVER_MAX_BYTES = 64 * 1024 * 1024

/**
 * Decoded pixels the analyses in flight may hold together (see analysisPixelBytes): 3 pictures of 2048 px at once,
 * 1 of 4096 px or one 4096² float frame; at 350 px the handlers' number is the limit.
 */
const PIXELS_IN_FLIGHT_BYTES = 128 * 1024 * 1024

export interface PixelSourceOptions extends ImageLimits {
  /** Budget of the decoded-image cache in bytes; 0 turns it off. */
  decodeCacheBytes: number
}

/**
 * Where the analyses of one process get pixels, and what bounds them: the decode cache (bounded by bytes), the
 * receive → analyze hand-over of the same process, the leases that say who holds which pixels, and the budget of
 * pixels in flight. One per process, made where the stages are composed (run-pipeline.ts) and given to both stages
 * through their context; an analyze stage given none makes its own (then nothing is handed over: another process).
 *
 * Pictures decode to 8-bit RGB (`decodeImage`), FITS files (told by content) to float32 (`readFits`, from the HDU
 * the row names, in the bytes' own memory): a 4096² float frame is 64 MB of the cache's budget.
 */
export class PixelSource {
  /** The receive stage of this process offers the pixels it decoded here (off until an analyze stage accepts). */
  readonly handOver = new InspectedPixels()
  private readonly budget = new PixelBudget(PIXELS_IN_FLIGHT_BYTES)
  private readonly cache: DecodedImageCache
  /** Decoded images in use by analyses now, with how many hold each. */
  private readonly leases = new Map<AnalysisPixels, number>()

  constructor(
    private readonly store: ObjectStore,
    private readonly options: PixelSourceOptions,
  ) {
    this.cache = new DecodedImageCache(options.decodeCacheBytes)
  }

  /** An analyze stage in this process: keep what receive decodes, about one receive window of 350 px images. */
  acceptHandOver(): void {
    this.handOver.enable(Math.min(this.options.decodeCacheBytes, HAND_OVER_MAX_BYTES))
  }

  /** Runs the analysis of `image` once the pixels it will hold fit in the budget. */
  withBudget<T>(image: ImageRecord, work: () => Promise<T>): Promise<T> {
    return this.budget.run(analysisPixelBytes(image.width, image.height, image.format), work)
  }

  /**
   * Decoded pixels of an image's own object, checked against the bytes its row recorded. `last`: the caller is the
   * image's last user (its successor's comparison), so they are not kept.
   */
  async pixels(image: ImageRecord, last = false): Promise<AnalysisPixels> {
    const key = image.contentSha256 === null ? null : pixelKey(image.contentSha256, image.observation?.hdu)
    const cached = last ? this.cache.take(key) : this.cache.get(key)
    if (cached !== undefined) return cached
    const bytes = await this.store.get(image.imageObjectKey)
    if (image.contentSha256 !== null) {
      const actual = createHash('sha256').update(bytes).digest('hex')
      if (actual !== image.contentSha256) throw new ObjectMismatchError(image.imageObjectKey, image.contentSha256, actual)
    }
    // Only now, with the bytes proven to be the recorded ones, may pixels decoded from bytes of that hash stand in.
    const decoded = (key === null ? undefined : this.handOver.take(key)) ?? (await this.decode(bytes, image))
    if (!last) this.cache.set(key, decoded)
    return decoded
  }

  private async decode(bytes: Buffer, image: ImageRecord): Promise<AnalysisPixels> {
    if (!isFits(bytes)) return decodeImage(bytes, this.options)
    // reuseInput: the bytes were read for this decode alone, so the float pixels may take their memory.
    return readFits(bytes, { maxPixels: this.options.maxImagePixels, hdu: image.observation?.hdu, reuseInput: true }).image
  }

  lease(pixels: AnalysisPixels, delta: 1 | -1): void {
    const count = (this.leases.get(pixels) ?? 0) + delta
    if (count === 0) this.leases.delete(pixels)
    else this.leases.set(pixels, count)
  }

  /**
   * Whether the caller, holding one lease on `pixels`, is their only user: the cache let them go and no other
   * analysis holds them (nobody can get them afterwards: only the cache hands them out). Then they may be
   * overwritten, e.g. with the difference image.
   */
  soleHolder(pixels: AnalysisPixels): boolean {
    return !this.cache.holds(pixels) && this.leases.get(pixels) === 1
  }
}
