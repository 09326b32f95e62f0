import { createHash } from 'node:crypto'
import type { AnalysisPixels } from '../core/ports/analyzer.js'

/**
 * Pixels that validating an image decoded anyway, kept for the analyze stage of the same process.
 *
 * The receive stage proves an image complete by decoding it (see `inspectImage`) and used to drop the pixels; the
 * analyze stage then decoded the same bytes again. When both run in one process (`imgpipe run`, `imgpipe ingest`),
 * the second decode was a third of the pipeline's CPU on a noisy 350 px stream. Entries are keyed by the bytes'
 * SHA-256 and handed out only for an object whose bytes the analyze stage has read back and hashed to that value
 * (the F15 check is unchanged): the pixels are those the bytes decode to, whichever call decoded them.
 *
 * Off (nothing kept, nothing hashed) until enabled: a process that only receives keeps no pixels. One instance per
 * process, owned by the analyze stage's pixel source (stages/analyze/pixel-source.ts) and handed to the receive stage
 * where the two are composed (stages/run-pipeline.ts) — no module global. Bounded by bytes, oldest dropped first;
 * `take` hands each entry out once. Float pixels of a FITS file are keyed by the HDU they were read from too.
 */
export class InspectedPixels {
  private readonly entries = new Map<string, AnalysisPixels>()
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

  /** Offers the pixels `bytes` decoded to (from HDU `hdu` of a FITS file); kept only when enabled and within the budget. */
  offer(bytes: Uint8Array, image: AnalysisPixels, hdu?: number): void {
    const cost = image.data.byteLength
    if (cost > this.maxBytes) return
    const sha256 = pixelKey(createHash('sha256').update(bytes).digest('hex'), hdu)
    this.remove(sha256)
    while (this.bytes + cost > this.maxBytes) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.remove(oldest)
    }
    this.entries.set(sha256, image)
    this.bytes += cost
  }

  /** The pixels of bytes with this key ({@link pixelKey}), if kept; they are the caller's alone afterwards. */
  take(sha256: string): AnalysisPixels | undefined {
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

/** Something the receive stage may hand decoded pixels to (an {@link InspectedPixels}, or nothing). */
export interface PixelHandOver {
  offer(bytes: Uint8Array, image: AnalysisPixels, hdu?: number): void
}

/**
 * The key of decoded pixels: the SHA-256 of their bytes, and for a FITS file the HDU read (one file, several images).
 * Pictures, and FITS read from their first image HDU without a known index, are keyed by the hash alone.
 */
export function pixelKey(sha256: string, hdu?: number | null): string {
  return hdu === undefined || hdu === null ? sha256 : `${sha256}#${hdu}`
}
