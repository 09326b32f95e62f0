import type { AnalysisPixels } from '../../core/ports/analyzer.js'

/**
 * Decoded images, keyed by content hash, least recently used evicted first, bounded by the bytes of their
 * pixels (not by count: eight 7000×7000 decodes are 1.2 GB). Each image is compared with its predecessor,
 * which the previous message just decoded: keeping it saves one decode per image. Keyed by hash rather
 * than id because the mock stream (and a static camera) repeats the same bytes many times. An image larger
 * than the whole budget is not kept at all.
 *
 * A predecessor is `take`n once its successor is compared: on a noisy stream (no two images alike) nothing will
 * ask for it again, and when every image stayed until the budget pushed it out, 256 MiB of such pixels set the
 * peak RSS (336 MB at 350 px). A taken image moves to a small second list, evicted first and bounded by a quarter
 * of the budget (at most {@link CONSUMED_MAX_BYTES}), from which a `get` brings it back: repeated bytes (a static
 * camera, the four turns of the mock stream) still hit, as they did when nothing was ever taken. A taken image
 * too large for that list leaves the cache at once, so that its buffer may become the difference image.
 */
export class DecodedImageCache {
  /** Images not yet taken, least recently used first. */
  private readonly fresh = new Map<string, AnalysisPixels>()
  /** Images taken, oldest first: evicted before any fresh one. */
  private readonly consumed = new Map<string, AnalysisPixels>()
  private bytes = 0
  private consumedBytes = 0
  private readonly consumedMax: number

  constructor(private readonly maxBytes: number) {
    this.consumedMax = Math.min(Math.floor(maxBytes / 4), CONSUMED_MAX_BYTES)
  }

  /** Bytes of pixels held now (never above the budget). */
  get size(): number {
    return this.bytes
  }

  /** Whether this very image object is held (someone else may be handed it by `get`). */
  holds(image: AnalysisPixels): boolean {
    for (const held of this.fresh.values()) if (held === image) return true
    for (const held of this.consumed.values()) if (held === image) return true
    return false
  }

  get(sha256: string | null): AnalysisPixels | undefined {
    const image = this.remove(sha256)
    // Map keeps insertion order: re-inserting marks it most recently used (and a taken image wanted again, fresh).
    if (image !== undefined) this.insert(this.fresh, sha256!, image)
    return image
  }

  /** `get` for the image's last expected use: it then waits on the consumed list, or leaves if too large for it. */
  take(sha256: string | null): AnalysisPixels | undefined {
    const image = this.remove(sha256)
    if (image === undefined) return undefined
    const cost = image.data.byteLength
    if (cost > this.consumedMax) return image
    while (this.consumedBytes + cost > this.consumedMax) this.evictOldest(this.consumed)
    this.insert(this.consumed, sha256!, image)
    return image
  }

  set(sha256: string | null, image: AnalysisPixels): void {
    if (sha256 === null) return
    this.delete(sha256)
    const cost = image.data.byteLength
    if (cost > this.maxBytes) return
    while (this.bytes + cost > this.maxBytes) {
      if (!this.evictOldest(this.consumed) && !this.evictOldest(this.fresh)) break
    }
    this.insert(this.fresh, sha256, image)
  }

  /** Takes the image out of whichever list holds it. */
  private remove(sha256: string | null): AnalysisPixels | undefined {
    if (sha256 === null) return undefined
    const image = this.fresh.get(sha256) ?? this.consumed.get(sha256)
    if (image !== undefined) this.delete(sha256)
    return image
  }

  private insert(list: Map<string, AnalysisPixels>, sha256: string, image: AnalysisPixels): void {
    list.set(sha256, image)
    this.bytes += image.data.byteLength
    if (list === this.consumed) this.consumedBytes += image.data.byteLength
  }

  private evictOldest(list: Map<string, AnalysisPixels>): boolean {
    const oldest = list.keys().next().value
    if (oldest === undefined) return false
    this.delete(oldest)
    return true
  }

  private delete(sha256: string): void {
    for (const list of [this.fresh, this.consumed]) {
      const image = list.get(sha256)
      if (image === undefined) continue
      list.delete(sha256)
      this.bytes -= image.data.byteLength
      if (list === this.consumed) this.consumedBytes -= image.data.byteLength
    }
  }
}

/** Taken images kept for repeats: the mock stream's four turns on six streams at 350 px are 9 MB. */
const CONSUMED_MAX_BYTES = 16 * 1024 * 1024
