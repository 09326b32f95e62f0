import type { ReceiveOptions } from '../../core/receive-options.js'
import type { IncomingImage } from './image-source.js'

const LINGER_ELAPSED = Symbol('linger elapsed')

interface Read {
  result: IteratorResult<IncomingImage>
  /** When the read settled (performance.now()): the gap to the previous one tells a burst from a lone image. */
  at: number
}

/**
 * Groups a source's images into windows for the receive stage: a window closes at `batchSize` images, at
 * `batchBytes` bytes, or `lingerMs` after its first image, whichever comes first, and at the end of the source.
 *
 * The linger is adaptive, so that it costs nothing when the source is not busy: it applies only in a burst, when an
 * image came within `lingerMs` of the one before it (an ingest of a folder, a telescope's backlog). A lone image (a
 * slow cadence, the first after a pause) goes on as soon as the source has nothing more ready at once (one turn of
 * the event loop), and an image ready by then starts a burst. A fast source thus fills whole windows and a slow one
 * gets each image through without waiting. The read of the next image that a window did not wait for is kept for
 * the next window, never dropped.
 */
export async function* sourceWindows(
  source: AsyncIterable<IncomingImage>,
  limits: Pick<ReceiveOptions, 'batchSize' | 'batchBytes' | 'lingerMs'>,
): AsyncGenerator<IncomingImage[]> {
  const iterator = source[Symbol.asyncIterator]()
  const read = (): Promise<Read> => iterator.next().then((result) => ({ result, at: performance.now() }))
  let pending: Promise<Read> | undefined
  let previousAt = Number.NEGATIVE_INFINITY
  try {
    for (;;) {
      const first = await (pending ?? read())
      pending = undefined
      if (first.result.done === true) return
      const window = [first.result.value]
      let bytes = first.result.value.bytes?.length ?? 0
      let burst = first.at - previousAt <= limits.lingerMs
      previousAt = first.at
      const deadline = Date.now() + limits.lingerMs
      let ended = false
      while (window.length < limits.batchSize && bytes < limits.batchBytes) {
        pending ??= read()
        const next = await (burst ? raceLinger(pending, deadline - Date.now()) : raceTurn(pending))
        if (next === LINGER_ELAPSED) break
        pending = undefined
        if (next.result.done === true) {
          ended = true
          break
        }
        // Ready at once or within the linger: the source is busy, so this window waits for more.
        burst = true
        previousAt = next.at
        window.push(next.result.value)
        bytes += next.result.value.bytes?.length ?? 0
      }
      yield window
      if (ended) return
    }
  } finally {
    // Let the source close its files. A read still pending (a FIFO that never answers) must not hold up a stop:
    // the generator closes once it settles, and its outcome is of no interest any more.
    if (pending === undefined) await iterator.return?.()
    else {
      pending.catch(() => undefined)
      iterator.return?.().catch(() => undefined)
    }
  }
}

async function raceLinger<T>(pending: Promise<T>, remainingMs: number): Promise<T | typeof LINGER_ELAPSED> {
  let timer: NodeJS.Timeout | undefined
  const elapsed = new Promise<typeof LINGER_ELAPSED>((resolve) => {
    timer = setTimeout(() => resolve(LINGER_ELAPSED), Math.max(0, remainingMs))
  })
  try {
    return await Promise.race([pending, elapsed])
  } finally {
    clearTimeout(timer)
  }
}

/** The read if it settles within one turn of the event loop (already buffered, or woken by the same I/O). */
async function raceTurn<T>(pending: Promise<T>): Promise<T | typeof LINGER_ELAPSED> {
  let immediate: NodeJS.Immediate | undefined
  const turned = new Promise<typeof LINGER_ELAPSED>((resolve) => {
    immediate = setImmediate(() => resolve(LINGER_ELAPSED))
  })
  try {
    return await Promise.race([pending, turned])
  } finally {
    clearImmediate(immediate)
  }
}
