import { InternalError } from '../core/errors.js'
import { addSensorNoise } from './sensor-noise.js'
import { encodeTeddyBear, renderTeddyBear, renderTeddyBearPixels, type TeddyBearPixels } from './teddy-bear.js'

/**
 * The mock image stream of the original pipeline: image 1 is the teddy bear; every later image is a copy
 * of the one before, except the "change images" (n % K == K − 1, e.g. 3, 7, 11… for K = 4), which are the
 * image before rotated by 90°.
 *
 * Rule for the bytes (so that a resumed run with any `startAt` produces exactly the same files):
 * image n is the rasterised drawing turned clockwise by (number of change images ≤ n) × 90° and encoded
 * to JPEG once, by {@link renderTeddyBear}. It is *not* the previous image's JPEG decoded, rotated and
 * re-encoded, which would lose a little more quality at every change and make image n depend on where
 * the run started. Pixel-wise, a change image is still its predecessor rotated by 90° (up to the
 * JPEG noise of one encoding), and four turns bring back the bytes of image 1.
 */

/** One image of the mock stream. `bytes` is shared between copies: do not mutate it. */
export interface MockImage {
  imageNum: number
  bytes: Buffer
}

export interface MockImagesOptions {
  /** Number of the last image produced (the stream is 1..count). */
  count: number
  /** K: image n is a change image when n % K == K − 1. The original used 4. */
  changeEvery: number
  /** Side of the square images in pixels; 350 by default. */
  size?: number
  /** First image to produce, for a resumed run; 1 by default. */
  startAt?: number
  /**
   * Standard deviation (in 8-bit levels) of the sensor noise added to every image, 0 by default. With noise every
   * image is distinct, as a real camera's are, instead of a byte copy of its predecessor; image n always gets the
   * same noise, so a resumed run still writes the same bytes.
   */
  noise?: number
}

function assertInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new InternalError(`${name} must be an integer ≥ ${min}, got ${value}`)
}

/** Whether image `n` (1-based) of a stream with period `k` is a change image. Image 1 never is. */
export function isChangeImage(n: number, k: number): boolean {
  assertInteger('image number', n, 1)
  assertInteger('changeEvery', k, 1)
  return n >= 2 && n % k === k - 1
}

/**
 * How many change images there are among images 1..n: the number of 90° turns of image n.
 * Closed form so that skipping ahead to image 10⁹ costs nothing.
 */
export function changesUpTo(n: number, k: number): number {
  assertInteger('image number', n, 0)
  assertInteger('changeEvery', k, 1)
  if (n < 2) return 0
  // m in 0..n with m ≡ k − 1 (mod k) number floor((n + 1) / k); drop m = 0 and m = 1, which are not
  // images that can change (m = 0 matches only when k = 1, m = 1 only when k ≤ 2).
  const excluded = k === 1 ? 2 : k === 2 ? 1 : 0
  return Math.floor((n + 1) / k) - excluded
}

/**
 * Yields the JPEG bytes of images `startAt`..`count` of the mock stream, lazily. Without noise at most four
 * distinct JPEGs exist (0, 90, 180, 270°); each is rendered the first time it is needed and then the same Buffer
 * is yielded for every copy, so producing thousands of images costs four encodings. With noise the four drawings
 * are rasterised once and each image is its drawing plus its own noise, encoded once.
 */
export async function* mockImages(options: MockImagesOptions): AsyncIterable<MockImage> {
  const { count, changeEvery, size = 350, startAt = 1, noise = 0 } = options
  assertInteger('count', count, 0)
  assertInteger('changeEvery', changeEvery, 1)
  assertInteger('startAt', startAt, 1)
  if (!(noise >= 0 && noise <= 64)) throw new InternalError(`noise must be a number from 0 to 64, got ${noise}`)
  const rendered = new Map<number, Buffer>()
  const pixels = new Map<number, TeddyBearPixels>()
  let turns = changesUpTo(startAt - 1, changeEvery)
  for (let imageNum = startAt; imageNum <= count; imageNum += 1) {
    if (isChangeImage(imageNum, changeEvery)) turns += 1
    const quarter = turns % 4
    if (noise > 0) {
      let clean = pixels.get(quarter)
      if (clean === undefined) {
        clean = await renderTeddyBearPixels(size, quarter)
        pixels.set(quarter, clean)
      }
      yield { imageNum, bytes: await encodeTeddyBear({ ...clean, data: addSensorNoise(clean.data, noise, imageNum) }) }
      continue
    }
    let bytes = rendered.get(quarter)
    if (bytes === undefined) {
      bytes = await renderTeddyBear(size, quarter)
      rendered.set(quarter, bytes)
    }
    yield { imageNum, bytes }
  }
}
