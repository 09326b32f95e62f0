/**
 * How the consuming stages (analyze, alert) take their messages from the bus: up to `batchSize` at once, with
 * `concurrency` handlers in flight, offsets committed once per batch. A crash redelivers at most one batch, which the
 * idempotent stages absorb.
 */
export interface ConsumerOptions {
  batchSize: number
  concurrency: number
}

/**
 * Two handlers keep the two cores of a small machine busy while one waits on the database or the store; a batch of
 * 64 makes offset commits rare without holding much back.
 */
export const DEFAULT_CONSUMER_OPTIONS: ConsumerOptions = { batchSize: 64, concurrency: 2 }
