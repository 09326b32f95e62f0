import { createHash } from 'node:crypto'
import type { RawImage } from './decode-image.js'

/**
 * Pixels that validating an image decoded anyway, kept for the analyze stage of the same process.
 *
 * The receive stage proves an image complete by decoding it (see `inspectImage`) and used to drop the pixels; the
 * analyze stage then decoded the same bytes again. When both run in one process (`imgpipe run`, `imgpipe ingest`),
 * the second decode was a third of the pipeline's CPU on a noisy 350 px stream. Entries are keyed by the bytes'
 * SHA-256 and handed out only for an object whose bytes the analyze stage has read back and hashed to that value
 * (the F15 check is unchanged): the pixels are those the bytes decode to, whichever call decoded them.
 *
 * Off (nothing kept, nothing hashed) until an analyze stage enables it: a process that only receives keeps no
 * pixels. Bounded by bytes, oldest dropped first; `take` hands each entry out once.
 */
export class InspectedPixels {
  private readonly entries = new Map<string, RawImage>()
  private bytes = 0
  private maxBytes = 0

  /** Bytes of pixels held now. */
  get size(): number {
    return this.bytes
  }

  /** Keeps up to `maxBytes` from now on (the largest budget asked for wins: one process, one store). */
  enable(maxBytes: number): void {
    this.maxBytes = Math.max(this.maxBytes, maxBytes)
  }

  /** Offers the pixels `bytes` decoded to; kept only when enabled and within the budget. */
  offer(bytes: Uint8Array, image: RawImage): void {
    const cost = image.data.byteLength
    if (cost > this.maxBytes) return
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    this.remove(sha256)
    while (this.bytes + cost > this.maxBytes) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.remove(oldest)
    }
    this.entries.set(sha256, image)
    this.bytes += cost
  }

  /** The pixels of bytes with this hash, if kept; they are the caller's alone afterwards. */
  take(sha256: string): RawImage | undefined {
    const image = this.entries.get(sha256)
    if (image !== undefined) this.remove(sha256)
    return image
  }

  private remove(sha256: string): void {
    const image = this.entries.get(sha256)
    if (image === undefined) return
    this.entries.delete(sha256)
    this.bytes -= image.data.byteLength
  }
}

/** The process's one store: `inspectImage` offers to it, the analyze stage takes from it. */
export const inspectedPixels = new InspectedPixels()
