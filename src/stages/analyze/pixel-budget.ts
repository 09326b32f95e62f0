import { Semaphore } from 'async-mutex'

const MIB = 1024 * 1024

/**
 * Bounds the decoded pixels that concurrent analyses hold at once. Each analysis asks for what it will hold (see
 * {@link analysisPixelBytes}) before it starts, first come first served: small images never wait on each other, large
 * ones take turns, and one larger than the whole budget runs alone (so it always gets its turn). Without it, the
 * number of handlers decides the memory: two handlers analysing 7000×7000 images at once held ~600 MB of pixels
 * besides the decode cache (F4, issue 9).
 *
 * Counted in units of `unit` bytes (1 MiB): async-mutex's semaphore walks its value on every release, so a value in
 * bytes would cost a 128-million-step loop per analysis.
 *
 * Leaves out: the decode cache (bounded by its own byte limit) and libvips' working memory.
 */
export class PixelBudget {
  readonly #semaphore: Semaphore
  readonly #units: number

  constructor(
    readonly bytes: number,
    private readonly unit = MIB,
  ) {
    this.#units = this.#toUnits(bytes)
    this.#semaphore = new Semaphore(this.#units)
  }

  /** Runs `work` once `bytes` of the budget are free (at most the whole budget, so nothing waits forever). */
  run<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    return this.#semaphore.runExclusive(work, Math.min(this.#toUnits(bytes), this.#units))
  }

  #toUnits(bytes: number): number {
    return Math.max(1, Math.ceil(bytes / this.unit))
  }
}

/**
 * What comparing an image of this size holds: its pixels, its predecessor's (assumed the same size) and the
 * difference, 8-bit RGB each. A FITS image (`format` 'fits') holds float32 pixels instead: its own and its
 * predecessor's (4 bytes a pixel each; the difference overwrites the predecessor when it may), and the 8-bit RGB
 * preview the difference JPEG is encoded from.
 */
export function analysisPixelBytes(width: number | null, height: number | null, format?: string | null): number {
  if (width === null || height === null) return 0
  return format === 'fits' ? (4 + 4 + 3) * width * height : 3 * width * height * 3
}
