import { InternalError, toImgpipeError } from './errors.js'

/**
 * Gathers the calls of concurrent callers into batches, one batch in flight at a time (a database's "group
 * commit"): a call made while no batch is running starts one at the next turn of the event loop, taking every call
 * made until then; calls made while a batch runs wait for it and go together in the next. Under load the batches
 * grow by themselves, and an idle caller waits only one turn.
 *
 * Each caller gets the outcome of its own item. When a batch of several fails and `splitOnError` says so (an error
 * that one item may have caused, such as a missing row or a constraint; by default any permanent error, one that
 * cannot pass on a retry), its items are run again one by one so that only the item at fault fails; otherwise every
 * caller of the batch gets the batch's error (a lost connection fails them all, and each retries as it would have
 * alone). The analyze and alert stages coalesce their handlers' catalog writes and produces with it.
 *
 * Leaves out: caching (every call reaches `flush`), merging equal items, and ordering between callers.
 */
export interface CoalescerOptions {
  /** Most items in one batch; more wait for the next. */
  maxBatch: number
  /** Whether a failed batch of several is worth running again item by item (default: a permanent error). */
  splitOnError?: (error: unknown) => boolean
}

interface Pending<In, Out> {
  item: In
  resolve(value: Out): void
  reject(error: unknown): void
}

export class Coalescer<In, Out> {
  private queue: Pending<In, Out>[] = []
  private running = false
  private scheduled = false

  /** `flush` runs one batch and returns one outcome per item, in the items' order. */
  constructor(
    private readonly flush: (items: In[]) => Promise<Out[]>,
    private readonly options: CoalescerOptions,
  ) {
    if (!Number.isSafeInteger(options.maxBatch) || options.maxBatch < 1)
      throw new RangeError(`maxBatch must be ≥ 1, got ${options.maxBatch}`)
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.running || this.scheduled || this.queue.length === 0) return
    this.scheduled = true
    // One turn of the event loop lets the callers woken by the same I/O join the batch.
    setImmediate(() => {
      this.scheduled = false
      void this.runBatch()
    })
  }

  private async runBatch(): Promise<void> {
    if (this.running) return
    this.running = true
    const batch = this.queue.splice(0, this.options.maxBatch)
    try {
      await this.settle(batch)
    } finally {
      this.running = false
      this.schedule()
    }
  }

  private async settle(batch: Pending<In, Out>[]): Promise<void> {
    let outcomes: Out[]
    try {
      outcomes = await this.flush(batch.map((pending) => pending.item))
    } catch (error) {
      if (batch.length > 1 && (this.options.splitOnError ?? isPermanent)(error)) {
        for (const pending of batch) await this.settle([pending])
        return
      }
      for (const pending of batch) pending.reject(error)
      return
    }
    if (outcomes.length !== batch.length) {
      // A bug in `flush`, not in an item: splitting the batch would not help.
      const error = new InternalError(`a batch of ${batch.length} returned ${outcomes.length} outcomes`)
      for (const pending of batch) pending.reject(error)
      return
    }
    batch.forEach((pending, index) => pending.resolve(outcomes[index]!))
  }
}

function isPermanent(error: unknown): boolean {
  return !toImgpipeError(error).canRetry
}
