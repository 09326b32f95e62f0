import { mockImages } from '../../analysis/mock-stream.js'
import { imageFilename } from '../../core/object-keys.js'
import type { ImageSource } from './image-source.js'

export const MOCK_IMAGE_SIZE = 350

export interface MockSourceOptions {
  /** Stream names; images are interleaved across them like frames of several cameras. */
  streams: readonly string[]
  count: number
  changeEvery: number
  /** Side of the square images in pixels (default 350, the original's). */
  size?: number
  /** Sensor noise sigma in 8-bit levels (default 0: copies are byte-identical, as in the original). */
  noise?: number
  /** Per stream: the first image number to produce (earlier ones already exist). */
  startAt?: (stream: string) => number
  /** Pause between images, to mimic a telescope's cadence. */
  intervalMs?: number
  signal?: AbortSignal
}

/**
 * The original's mock source: the teddy bear, copied, rotated 90° every `changeEvery` images.
 * Every stream shows the same sequence, so events fall on the same image numbers in each.
 * Images go out by number, then by stream (1 of every stream, then 2...), and a resumed run skips per
 * stream what exists: the order, hence every image_id, is the same as in an uninterrupted run.
 */
export async function* mockSource(options: MockSourceOptions): ImageSource {
  const startAt = new Map(options.streams.map((stream) => [stream, options.startAt?.(stream) ?? 1]))
  const first = Math.min(...startAt.values())
  const size = options.size ?? MOCK_IMAGE_SIZE
  for await (const { imageNum, bytes } of mockImages({
    count: options.count,
    changeEvery: options.changeEvery,
    size,
    noise: options.noise ?? 0,
    startAt: first,
  })) {
    for (const stream of options.streams) {
      if (options.signal?.aborted === true) return
      if (imageNum < (startAt.get(stream) ?? 1)) continue
      yield {
        stream,
        imageNum,
        filename: imageFilename(imageNum, 'jpg'),
        bytes,
        byteSize: bytes.length,
        known: { format: 'jpeg', width: size, height: size },
      }
      if (options.intervalMs !== undefined && options.intervalMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs))
      }
    }
  }
}
