import { Semaphore } from 'async-mutex'

/**
 * Bounds the decoded pixels that concurrent analyses hold at once. Each analysis asks for what it will hold (see
 * {@link analysisPixelBytes}) before it starts; small images never wait on each other, large
 * ones take turns, and one larger than the whole budget runs alone. Without it, two handlers analysing
 * 7000×7000 images at once held ~600 MB of pixels besides the decode cache (F4, issue 9).
 *
 * Leaves out: the decode cache (bounded by its own byte limit) and libvips' working memory.
 */
export class PixelBudget {
  readonly #semaphore: Semaphore

  constructor(readonly bytes: number) {
    this.#semaphore = new Semaphore(bytes)
  }

  /** Runs `work` once `bytes` of the budget are free (at most the whole budget, so nothing waits forever). */
  run<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    return this.#semaphore.runExclusive(work, Math.max(1, Math.min(Math.ceil(bytes), this.bytes)))
  }
}

/**
 * What comparing an image of this size holds: its pixels, its predecessor's (assumed the same size) and the
 * difference, 8-bit RGB each.
 */
export function analysisPixelBytes(width: number | null, height: number | null): number {
  return width === null || height === null ? 0 : 3 * width * height * 3
}
