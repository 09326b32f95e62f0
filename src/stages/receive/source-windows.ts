import type { ReceiveOptions } from '../../core/receive-options.js'
import type { IncomingImage } from './image-source.js'

const LINGER_ELAPSED = Symbol('linger elapsed')

/**
 * Groups a source's images into windows for the receive stage: a window closes at `batchSize` images, at
 * `batchBytes` bytes, or `lingerMs` after its first image, whichever comes first, and at the end of the source.
 * A slow source (a telescope's cadence) thus gets each image through after at most the linger; a fast one (an
 * ingest of a folder) fills whole windows. The read of the next image that the linger cut short is kept for the
 * next window, never dropped.
 */
export async function* sourceWindows(
  source: AsyncIterable<IncomingImage>,
  limits: Pick<ReceiveOptions, 'batchSize' | 'batchBytes' | 'lingerMs'>,
): AsyncGenerator<IncomingImage[]> {
  const iterator = source[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<IncomingImage>> | undefined
  try {
    for (;;) {
      const first = await (pending ?? iterator.next())
      pending = undefined
      if (first.done === true) return
      const window = [first.value]
      let bytes = first.value.bytes?.length ?? 0
      const deadline = Date.now() + limits.lingerMs
      let ended = false
      while (window.length < limits.batchSize && bytes < limits.batchBytes) {
        pending ??= iterator.next()
        const next = await raceLinger(pending, deadline - Date.now())
        if (next === LINGER_ELAPSED) break
        pending = undefined
        if (next.done === true) {
          ended = true
          break
        }
        window.push(next.value)
        bytes += next.value.bytes?.length ?? 0
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
