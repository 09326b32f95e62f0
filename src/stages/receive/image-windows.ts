/**
 * Groups what a source yields into windows of at most `size` items, so the receive stage can store several images
 * at once and publish them in one call. A window closes when it is full or `lingerMs` after its first item, so a slow
 * source (a camera at 20 images/s) is not held back waiting for a full window: batching only ever happens when
 * images arrive faster than they can be handled one by one.
 *
 * One `next()` of the source may stay pending across windows (the source is slower than the linger); it is never
 * called twice at once, and an early `return()` of the windows ends the source too.
 */
export async function* windows<T>(source: AsyncIterable<T>, size: number, lingerMs: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<T>> | null = null
  let finished = false
  try {
    while (!finished) {
      const window: T[] = []
      // The first item of a window: wait as long as the source takes.
      const first = await (pending ?? iterator.next())
      pending = null
      if (first.done === true) return
      window.push(first.value)
      const deadline = Date.now() + lingerMs
      while (window.length < size) {
        pending ??= iterator.next()
        const left = deadline - Date.now()
        const next = left <= 0 ? await Promise.race([pending, Promise.resolve(null)]) : await raceTimeout(pending, left)
        if (next === null) break
        pending = null
        if (next.done === true) {
          finished = true
          break
        }
        window.push(next.value)
      }
      yield window
    }
  } finally {
    if (!finished) await iterator.return?.()
  }
}

function raceTimeout<V>(promise: Promise<V>, ms: number): Promise<V | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(null), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
