import type { RawImage } from '../../analysis/decode-image.js'

/**
 * A few decoded images, keyed by content hash. Each image is compared with its predecessor, which the
 * previous message just decoded: keeping it saves one decode per image. Keyed by hash rather than id
 * because the mock stream (and a static camera) repeats the same bytes many times.
 */
export class DecodedImageCache {
  private readonly entries = new Map<string, RawImage>()

  constructor(private readonly capacity = 8) {}

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

  set(sha256: string | null, image: RawImage): void {
    if (sha256 === null) return
    this.entries.delete(sha256)
    this.entries.set(sha256, image)
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
  }
}
