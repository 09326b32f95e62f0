import { toImgpipeError } from './errors.js'

interface Waiting<K, V> {
  key: K
  resolve: (value: V) => void
  reject: (error: unknown) => void
}

export interface CoalescerOptions {
  /** Keys per call of the batch function at most; more start another call at once. */
  maxBatchSize: number
}

/**
 * Gathers the calls made during one turn of the event loop into one call of a batch function with all their keys:
 * N handlers in flight, each reading or writing one row, cost one multi-row statement instead of N round trips
 * (the DataLoader pattern, without its cache: every call reaches the batch function).
 *
 * The batch function returns one value per key, in the keys' order. When it fails, every caller of that batch gets
 * the error, except that a permanent failure (not `canRetry`, such as a constraint one row violates) of a batch of
 * several keys runs each key alone: only the caller whose key is at fault fails, not its neighbours. A transient
 * failure fails them all at once, and each caller's own retry runs them again, coalesced anew.
 *
 * Leaves out: caching, de-duplication of equal keys (the batch function sees them all), and ordering between
 * batches.
 */
export class Coalescer<K, V> {
  #waiting: Waiting<K, V>[] = []
  #scheduled = false

  constructor(
    private readonly batch: (keys: K[]) => Promise<V[]>,
    private readonly options: CoalescerOptions,
  ) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.#waiting.push({ key, resolve, reject })
      if (this.#waiting.length >= this.options.maxBatchSize) this.#flush()
      else if (!this.#scheduled) {
        this.#scheduled = true
        // After the I/O callbacks of this turn: every handler that a response just woke has made its call by then.
        setImmediate(() => {
          this.#scheduled = false
          this.#flush()
        })
      }
    })
  }

  #flush(): void {
    while (this.#waiting.length > 0) void this.#run(this.#waiting.splice(0, this.options.maxBatchSize))
  }

  async #run(waiting: Waiting<K, V>[]): Promise<void> {
    let values: V[]
    try {
      values = await this.batch(waiting.map((entry) => entry.key))
      if (values.length !== waiting.length) throw new Error(`batch function returned ${values.length} values for ${waiting.length} keys`)
    } catch (error) {
      if (waiting.length > 1 && !toImgpipeError(error).canRetry) {
        await Promise.all(waiting.map((entry) => this.#run([entry])))
        return
      }
      for (const entry of waiting) entry.reject(error)
      return
    }
    waiting.forEach((entry, index) => entry.resolve(values[index]!))
  }
}
