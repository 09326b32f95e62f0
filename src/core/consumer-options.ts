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
 * Four handlers: on the services most of a handler's time is round trips (database, store, broker), and the analyze
 * stage writes the rows of the handlers in flight together, so more of them mean fewer statements per image —
 * measured on 2 cores, all-events backlog, one analyze process: 2 handlers 82–85 images/s, 4 about 70–100, 8 60–105
 * (the machine shared with other work). More than four bought no more on 2 cores and cost RSS in the embedded
 * pipeline (350 px: ~235 MB at 2, ~250 MB at 4, up to 269 MB at 8). The analyze stage's pixel budget, not this
 * number, bounds the memory of large images. A batch of 64 makes offset commits rare without holding much back.
 */
export const DEFAULT_CONSUMER_OPTIONS: ConsumerOptions = { batchSize: 64, concurrency: 4 }
