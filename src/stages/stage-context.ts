import type { AnalysisOptions } from '../core/analysis-options.js'
import type { ConsumerOptions } from '../core/consumer-options.js'
import type { ReceiveOptions } from '../core/receive-options.js'
import type { Logger } from '../core/logger.js'
import { GROUPS, TOPICS, topicName } from '../core/messages.js'
import type { Bus } from '../core/ports/bus.js'
import type { Metrics } from '../core/ports/metrics.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import { withRetry } from '../core/retry.js'
import { ClosedError } from '../core/errors.js'
import type { PixelSource } from './analyze/pixel-source.js'
import type { ScienceContext } from './analyze/science-context.js'

/** Topic and group names after the configured prefix. */
export interface Topics {
  imageAnalysis: string
  imageEventAlert: string
  imageAnalysisGroup: string
  imageEventAlertGroup: string
}

export function topicsFor(config: { topicPrefix: string }): Topics {
  return {
    imageAnalysis: topicName(config, TOPICS.imageAnalysis),
    imageEventAlert: topicName(config, TOPICS.imageEventAlert),
    imageAnalysisGroup: topicName(config, GROUPS.imageAnalysis),
    imageEventAlertGroup: topicName(config, GROUPS.imageEventAlert),
  }
}

/** Messages no stage can use (not JSON, unknown ids) are parked here rather than lost or retried forever. */
export function deadLetterTopic(topic: string): string {
  return `${topic}_dead_letter`
}

/**
 * What every stage gets: the three ports, names, settings, a logger and the shutdown signal. The stages share
 * one shape: `recover()` republishes what the catalog shows unfinished; a consuming stage's `start()` recovers
 * and then subscribes. Topics are created by whoever assembles the stages (run-pipeline.ts), not by a stage.
 *
 * `Ledger` is the part of the catalog the stage uses (ReceiveLedger, AnalysisLedger, AlertLedger): a stage sees
 * only its own rows' methods. Helpers that do not touch the catalog take the default.
 */
export interface StageContext<Ledger = unknown> {
  catalog: Ledger
  store: ObjectStore
  bus: Bus
  topics: Topics
  analysis: AnalysisOptions
  /** How analyze and alert consume (batch size, handlers in flight); the defaults when absent. */
  consumer?: ConsumerOptions
  /** How receive groups images into windows and puts their bytes; the defaults when absent. */
  receive?: ReceiveOptions
  logger: Logger
  /** Aborted on shutdown: retry loops stop and the message in hand stays uncommitted. */
  signal: AbortSignal
  /** Counters and timings by name (src/core/ports/metrics.ts); none when absent. */
  metrics?: Metrics
  /**
   * Decoded pixels shared by the stages of this process (run-pipeline.ts makes one): receive hands what it decoded
   * to analyze through it. Absent: an analyze stage makes its own and receive hands nothing over.
   */
  pixels?: PixelSource
  /**
   * Opens a directory object store at IMGPIPE_ANALYSIS_DIR, for receive's copy of each image for the original's
   * analysis client (analysis-dir-copy.ts); whoever composes the stages picks the adapter. Needed with that setting.
   */
  openAnalysisDir?: (dir: string) => ObjectStore
  /** Difference imaging's ledgers and compute (issue 18); absent: the analyze stage runs pixel-diff only. */
  science?: ScienceContext
}

/**
 * Runs one step, retrying transient failures (canRetry) with backoff until it succeeds or the stage shuts
 * down: a database or broker restart only delays the pipeline. Permanent errors are rethrown at once.
 */
export async function retrying<T>(context: StageContext, what: string, operation: () => Promise<T>): Promise<T> {
  const result = await withRetry(
    async () => {
      if (context.signal.aborted) throw new ClosedError('stage')
      return operation()
    },
    {
      attempts: Number.POSITIVE_INFINITY,
      maxDelayMs: 5_000,
      signal: context.signal,
      onRetry: (error, attempt, delayMs) =>
        context.logger.warn({ err: error, attempt, delayMs: Math.round(delayMs) }, `${what} failed, retrying`),
    },
  )
  return result
}

/** Rows a resumed stage reads per catalog query. */
const RECOVERY_PAGE = 500

/**
 * The shape of every stage's recovery: page through what the catalog shows unfinished, ascending by id, and
 * hand each page over. Returns how many rows there were. The scan retries transient failures; `handle` retries
 * its own steps, per row, so that a retry never repeats a row that already went through.
 */
export async function forEachPendingPage<T>(
  context: StageContext,
  list: (page: { limit: number; afterId: number }) => Promise<T[]>,
  idOf: (row: T) => number,
  handle: (rows: T[]) => Promise<void>,
): Promise<number> {
  let total = 0
  let afterId = 0
  for (;;) {
    const rows = await retrying(context, 'recovery scan', () => list({ limit: RECOVERY_PAGE, afterId }))
    if (rows.length === 0) return total
    await handle(rows)
    total += rows.length
    afterId = idOf(rows[rows.length - 1]!)
  }
}
