import type { RawImage } from '../../analysis/decode-image.js'

/**
 * Decoded images, keyed by content hash, least recently used evicted first, bounded by the bytes of their
 * pixels (not by count: eight 7000×7000 decodes are 1.2 GB). Each image is compared with its predecessor,
 * which the previous message just decoded: keeping it saves one decode per image. Keyed by hash rather
 * than id because the mock stream (and a static camera) repeats the same bytes many times. An image larger
 * than the whole budget is not kept at all.
 *
 * A predecessor is `take`n, not read: once its successor is compared, nothing needs it any more (barring a retry,
 * which decodes it again). Before, every distinct image stayed until the budget pushed it out, so a noisy stream
 * (no two images alike) filled all 256 MiB with pixels no one would read: 336 MB peak RSS at 350 px.
 */
export class DecodedImageCache {
  private readonly entries = new Map<string, RawImage>()
  private bytes = 0

  constructor(private readonly maxBytes: number) {}

  /** Bytes of pixels held now (never above the budget). */
  get size(): number {
    return this.bytes
  }

  /** Whether this very image object is held (someone else may be handed it by `get`). */
  holds(image: RawImage): boolean {
    for (const held of this.entries.values()) if (held === image) return true
    return false
  }

  get(sha256: string | null): RawImage | undefined {
    if (sha256 === null) return undefined
    const image = this.entries.get(sha256)
    if (image !== undefined) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.entries.delete(sha256)
      this.entries.set(sha256, image)
    }
    return image
  }

  /** `get`, and the image leaves the cache: its last user has it. */
  take(sha256: string | null): RawImage | undefined {
    const image = this.get(sha256)
    if (image !== undefined) this.delete(sha256!)
    return image
  }

  set(sha256: string | null, image: RawImage): void {
    if (sha256 === null) return
    this.delete(sha256)
    const cost = image.data.byteLength
    if (cost > this.maxBytes) return
    while (this.bytes + cost > this.maxBytes) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.delete(oldest)
    }
    this.entries.set(sha256, image)
    this.bytes += cost
  }

  private delete(sha256: string): void {
    const image = this.entries.get(sha256)
    if (image === undefined) return
    this.entries.delete(sha256)
    this.bytes -= image.data.byteLength
  }
}
