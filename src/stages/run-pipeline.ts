import { ClosedError, ImgpipeError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { Subscription } from '../core/ports/bus.js'
import type { AlertLedger } from '../core/ports/alert-ledger.js'
import type { AnalysisLedger } from '../core/ports/analysis-ledger.js'
import type { ReceiveLedger } from '../core/ports/receive-ledger.js'
import type { CatalogReports } from '../core/ports/catalog-reports.js'
import type { DeliveryChannel } from '../core/ports/delivery-channel.js'
import type { PipelineCounts } from '../core/types.js'
import { AlertStage, type AlertDelivery } from './alert/alert-stage.js'
import { AnalyzeStage } from './analyze/analyze-stage.js'
import { PixelSource } from './analyze/pixel-source.js'
import { measuredChannels } from './measured-channel.js'
import type { ImageSource } from './receive/image-source.js'
import { ReceiveStage, type ReceiveOutcome } from './receive/receive-stage.js'
import { sourceWindows } from './receive/source-windows.js'
import { retrying, type StageContext } from './stage-context.js'
import { StartUp, StoppedDuringStartUp } from './start-up.js'

/** What the three stages use of the catalog, and the counts that tell when a run is drained. */
export type PipelineLedger = ReceiveLedger & AnalysisLedger & AlertLedger & Pick<CatalogReports, 'counts'>

/**
 * What the stages of a process share: the three ports, the names and settings (a StageContext without its
 * shutdown signal, which runPipeline makes), and the partitions of the topics it creates.
 */
export interface PipelineContext extends Omit<StageContext<PipelineLedger>, 'signal'> {
  /** Partitions of each pipeline topic created when missing. */
  partitions: number
}

/** What this process does with the pipeline. */
export interface PipelinePlan {
  /**
   * The delivery ledger to record receiver rows in (sent by a DeliveryWorker), how to wake that worker, and what the
   * subscriptions' detection filters read (the ObjectLedger).
   */
  delivery?: AlertDelivery
  /** Images to receive; none for a consumer-only process. */
  source?: ImageSource
  analyze: boolean
  alert: boolean
  /** Where the alert stage delivers each alert. */
  channels: readonly DeliveryChannel[]
  /**
   * `drained`: return once the source is exhausted and the catalog shows nothing pending (every image
   * analysed or failed, every event alerted and delivered). `stopped`: consume until `stop` aborts.
   */
  until: 'drained' | 'stopped'
  /** Aborted by SIGINT/SIGTERM: finish the message in hand, commit, and return. */
  stop: AbortSignal
  onReceived?: (outcome: ReceiveOutcome) => void
  onProgress?: (counts: PipelineCounts) => void
  /** How often the drained check and the progress callback poll the catalog. */
  pollMs?: number
  /** How long closing may wait for a message in hand before retry loops are interrupted. */
  graceMs?: number
}

export interface PipelineReport {
  /** What the receive stage of this process did with each incoming image. */
  outcomes: { received: number; failed: number; duplicate: number }
  /**
   * What the analyze and alert stages of this process did (several processes share the work). `alerts`: alerts
   * this process recorded and logged; what became of their deliveries to subscriptions is the delivery worker's.
   */
  processed: { analyzed: number; failed: number; events: number; alerts: number }
  counts: PipelineCounts
  /** True when the run ended because of `stop` rather than by draining. */
  stopped: boolean
}

/**
 * Assembles and runs any combination of the three stages in this process, on a migrated catalog and a ready
 * store: creates the topics, recovers what the catalog shows unfinished, starts the consuming stages and
 * feeds the source to the receive stage. The stages only meet through the bus: the same code runs them as
 * one process on the in-process bus or as three processes on Kafka.
 */
export async function runPipeline(pipeline: PipelineContext, plan: PipelinePlan): Promise<PipelineReport> {
  const { catalog, logger } = pipeline
  // Separate from `stop`: stopping first lets the message in hand finish; this one breaks retry loops.
  const interrupt = new AbortController()
  const context: StageContext<PipelineLedger> = {
    catalog,
    store: pipeline.store,
    bus: pipeline.bus,
    topics: pipeline.topics,
    analysis: pipeline.analysis,
    consumer: pipeline.consumer,
    receive: pipeline.receive,
    logger,
    signal: interrupt.signal,
    metrics: pipeline.metrics,
    openAnalysisDir: pipeline.openAnalysisDir,
    ...(pipeline.science === undefined ? {} : { science: pipeline.science }),
    // One per process, shared by its stages: receive hands the pixels it decoded to analyze through it.
    pixels: pipeline.pixels ?? new PixelSource(pipeline.store, pipeline.analysis),
  }
  const outcomes = { received: 0, failed: 0, duplicate: 0 }
  const subscriptions: Subscription[] = []
  const stages: { analyze?: AnalyzeStage; alert?: AlertStage } = {}
  let failure: unknown
  const failed = new AbortController()
  const watch = (subscription: Subscription, stage: string): void => {
    subscription.done.catch((error: unknown) => {
      if (plan.stop.aborted && (error instanceof ClosedError || interrupt.signal.aborted)) return
      logger.error({ err: error }, `${stage} stage stopped`)
      failure ??= error
      failed.abort()
    })
  }

  // Until the stages consume, a stop ends the start-up's retries at once (a broker that is down, F8).
  const startUp = new StartUp(plan.stop, interrupt)
  try {
    await startUp.run(ensurePipelineTopics(context, pipeline.partitions))
    const receive = new ReceiveStage(context)
    // Only a receiving process, or one whose bus forgets, rebuilds the analysis queue from the catalog:
    // consumers on Kafka would otherwise each re-queue the whole backlog at start-up.
    if (plan.source !== undefined || !pipeline.bus.durable) await startUp.run(receive.recover())
    if (plan.alert) {
      stages.alert = new AlertStage(context, measuredChannels(plan.channels, pipeline.metrics), plan.delivery)
      const subscription = await startUp.run(stages.alert.start())
      subscriptions.push(subscription)
      watch(subscription, 'alert')
    }
    if (plan.analyze) {
      stages.analyze = new AnalyzeStage(context)
      const subscription = await startUp.run(stages.analyze.start())
      subscriptions.push(subscription)
      watch(subscription, 'analyze')
    }
    startUp.done()
    if (plan.source !== undefined) {
      for await (const window of sourceWindows(plan.source, receive.options)) {
        if (plan.stop.aborted || failed.signal.aborted) break
        for (const outcome of await receive.receiveWindow(window)) {
          outcomes[outcome.kind] += 1
          pipeline.metrics?.increment('imgpipe_images_received_total', { outcome: outcome.kind })
          plan.onReceived?.(outcome)
        }
      }
    }
    const stopped = await waitUntilDone(catalog, plan, failed.signal, logger)
    if (failure !== undefined) throw failure
    const processed = {
      analyzed: stages.analyze?.stats.analyzed ?? 0,
      failed: stages.analyze?.stats.failed ?? 0,
      events: stages.analyze?.stats.events ?? 0,
      alerts: stages.alert?.stats.delivered ?? 0,
    }
    return { outcomes, processed, counts: await catalog.counts(), stopped }
  } catch (error) {
    if (!(error instanceof StoppedDuringStartUp)) throw error
    logger.warn('stopped by signal during start-up')
    const processed = { analyzed: 0, failed: 0, events: 0, alerts: 0 }
    return { outcomes, processed, counts: await catalog.counts(), stopped: true }
  } finally {
    startUp.done()
    const grace = setTimeout(() => interrupt.abort(), plan.graceMs ?? 10_000)
    await Promise.allSettled(subscriptions.map((subscription) => subscription.close()))
    clearTimeout(grace)
    interrupt.abort()
  }
}

/**
 * Polls the catalog until the run is drained or stopped. The poll is only a progress report and a drained
 * check: a database that is briefly unavailable skips a poll (the stages' own retries ride it out) instead of
 * ending a long-running stage.
 */
async function waitUntilDone(
  catalog: Pick<CatalogReports, 'counts'>,
  options: PipelinePlan,
  failed: AbortSignal,
  logger: Logger,
): Promise<boolean> {
  const pollMs = options.pollMs ?? 100
  let waiting = false
  for (;;) {
    if (options.stop.aborted) return true
    if (failed.aborted) return false
    let counts: PipelineCounts | null = null
    try {
      counts = await catalog.counts()
      waiting = false
    } catch (error) {
      if (!(error instanceof ImgpipeError && error.canRetry)) throw error
      if (!waiting) logger.warn({ err: error }, 'progress: the catalog does not answer; waiting')
      waiting = true
    }
    if (counts !== null) {
      options.onProgress?.(counts)
      if (options.until === 'drained' && isDrained(counts, options)) return false
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs)
      options.stop.addEventListener('abort', done, { once: true })
      failed.addEventListener('abort', done, { once: true })
      function done(): void {
        clearTimeout(timer)
        options.stop.removeEventListener('abort', done)
        failed.removeEventListener('abort', done)
        resolve()
      }
    })
  }
}

/**
 * Creates the pipeline's topics when missing, before any stage publishes or subscribes: here, where the
 * stages are assembled, rather than in one of them.
 */
export async function ensurePipelineTopics(context: StageContext, partitions: number): Promise<void> {
  const { bus, topics } = context
  await retrying(context, 'topic creation', () =>
    bus.ensureTopics([
      { name: topics.imageAnalysis, partitions },
      { name: topics.imageEventAlert, partitions },
    ]),
  )
}

/** Nothing left for the stages this process runs. */
export function isDrained(counts: PipelineCounts, stages: { analyze: boolean; alert: boolean }): boolean {
  const analysed = !stages.analyze || counts.imagesReceived === 0
  const alerted = !stages.alert || (counts.alerts === counts.events && counts.alertsUndelivered === 0)
  return analysed && alerted
}
