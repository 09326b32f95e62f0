import { writeFile } from 'node:fs/promises'
import { InvalidArgumentError, Option, type Command } from 'commander'
import { describeBus, describeCatalog, describeObjectStore } from '../../adapters/backend-options.js'
import { objectLedgerDeps } from '../../analysis/association/ledger-deps.js'
import { truthCsv, type TruthRow } from '../../analysis/sky/mock-sky.js'
import { assertValidStreamName, DEFAULT_STREAM } from '../../core/object-keys.js'
import type { PipelineCounts } from '../../core/types.js'
import { FsObjectStore } from '../../adapters/fs/fs-object-store.js'
import { LogChannel } from '../../adapters/log/log-channel.js'
import type { ImageSource } from '../../stages/receive/image-source.js'
import { resumeImageNum, type ReceiveOutcome } from '../../stages/receive/receive-stage.js'
import { mockSource } from '../../stages/receive/mock-source.js'
import { MOCK_SKY_SIZE, mockSkySource } from '../../stages/receive/mock-sky-source.js'
import { openScience } from '../../stages/analyze/pooled-science.js'
import { runPipeline, type PipelineContext, type PipelinePlan } from '../../stages/run-pipeline.js'
import { topicsFor } from '../../stages/stage-context.js'
import { startDelivery } from '../delivery-setup.js'
import { cliContext, nonNegativeInteger, positiveInteger, printJson, type CliContext } from '../cli-context.js'
import { PipelineProgress } from '../progress.js'
import { startStageMetrics } from '../stage-metrics.js'
import { withBackends, type OpenedBackends } from '../with-backends.js'
import {
  deliveriesSince,
  setDeliveryExitCode,
  summaryLines,
  summaryWarnings,
  type CompleteStreams,
  type DeliverySummary,
  type RunReport,
} from '../run-summary.js'

interface MockOptions {
  /** `teddy` (the original's teddy bear, the default) or `sky` (FITS frames of the mock sky). */
  mock: 'teddy' | 'sky'
  count: number
  changeEvery: number
  stream: string
  streams: number
  interval: number
  size: number
  noise: number
  seed: number
  truth?: string
  hdu?: string
  json?: boolean
}

function addMockOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--mock <source>',
        "the mock images: teddy, the original's teddy bear; sky, FITS frames of a mock sky (one field per stream)",
      )
        .choices(['teddy', 'sky'])
        .default('teddy'),
    )
    .option('-n, --count <n>', 'images per stream', positiveInteger, 10)
    .option('-k, --change-every <k>', 'image n is rotated 90° when n % k == k - 1 (the original: 4)', positiveInteger, 4)
    .option('--stream <name>', 'stream name (the default stream keeps the original pipeline object keys)', DEFAULT_STREAM)
    .option('--streams <n>', 'number of streams (named <stream>-1, <stream>-2, ...)', positiveInteger, 1)
    .option('--interval <ms>', 'pause between images, like a camera cadence', nonNegativeInteger, 0)
    .option(
      '--size <px>',
      `side of the square mock images in pixels (16 to 8192; --mock sky: ${MOCK_SKY_SIZE} unless given)`,
      imageSide,
      350,
    )
    .option('--noise <sigma>', 'sensor noise (standard deviation in 8-bit levels, 0 to 64) so every image is distinct', noiseSigma, 0)
    .option('--seed <n>', '--mock sky: random seed; the same seed gives the same frames', positiveInteger, 1)
    .option('--truth <file>', "--mock sky: write the truth table (each injected change's position and flux per frame) to this CSV file")
    .option('--hdu <name|n>', 'the HDU of FITS files to read, by EXTNAME or 0-based index (short for --fits-hdu, IMGPIPE_FITS_HDU)')
    .option('--json', 'print the summary as JSON')
}

function imageSide(value: string): number {
  const side = positiveInteger(value)
  if (side < 16 || side > 8192) throw new InvalidArgumentError('expected an integer from 16 to 8192')
  return side
}

function noiseSigma(value: string): number {
  const sigma = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN
  if (!(sigma >= 0 && sigma <= 64)) throw new InvalidArgumentError('expected a number from 0 to 64')
  return sigma
}

/** What a pipeline process opens: the three ports, the schema migrated and the bucket or directory there. */
export const PIPELINE_BACKENDS = { catalog: 'ready', store: 'ready', bus: 'open' } as const
export type PipelineBackends = OpenedBackends<typeof PIPELINE_BACKENDS>

export function streamNames(options: Pick<MockOptions, 'stream' | 'streams'>): string[] {
  if (options.streams === 1) return [options.stream]
  return Array.from({ length: options.streams }, (_, index) => `${options.stream}-${index + 1}`)
}

export function registerPipelineCommands(program: Command): void {
  addMockOptions(
    program
      .command('run')
      .summary('the mock pipeline in this process, until done')
      .description(
        'run receive, analyze and alert in this process on the mock image stream, until every image is analysed and every event alerted',
      ),
  ).action(async (options: MockOptions, command: Command) => {
    const context = cliContext(withHduFlag(command, options))
    const { report, complete } = await runMock(context, mockDefaults(command, options), { analyze: true, alert: true }, 'run')
    printSummary(context, report, options.json === true, complete)
    setDeliveryExitCode(report)
  })

  addMockOptions(
    program
      .command('receive')
      .summary('receive stage: record the mock image stream')
      .description(
        'receive stage: record the mock image stream and publish each image on image_analysis (on the in-process bus, also runs analyze and alert)',
      ),
  ).action(async (options: MockOptions, command: Command) => {
    const context = cliContext(withHduFlag(command, options))
    const inProcess = context.config.broker.kind === 'memory'
    const { report, complete } = await runMock(context, mockDefaults(command, options), { analyze: inProcess, alert: inProcess }, 'receive')
    printSummary(context, report, options.json === true, complete)
    setDeliveryExitCode(report)
  })

  for (const stage of ['analyze', 'alert'] as const) {
    program
      .command(stage)
      .summary(stage === 'analyze' ? 'analyze stage: compare images, record events' : 'alert stage: record and deliver alerts')
      .description(
        stage === 'analyze'
          ? 'analyze stage: consume image_analysis until SIGINT/SIGTERM (on the in-process bus: analyse what the database holds pending, alert it, and exit)'
          : 'alert stage: consume image_event_alert until SIGINT/SIGTERM (on the in-process bus: alert what the database holds pending and exit)',
      )
      .option('--json', 'print the summary as JSON')
      .action(async (options: { json?: boolean }, command: Command) => {
        const context = cliContext(command, { defaultLogLevel: 'info' })
        const report = await runStage(context, stage)
        printSummary(context, report, options.json === true)
        // A consumer that runs until stopped is not failed by one subscriber's dead delivery (a supervisor would restart it).
        if (context.config.broker.kind === 'memory') setDeliveryExitCode(report)
      })
  }
}

/**
 * `--hdu X` is `--fits-hdu X` (IMGPIPE_FITS_HDU) by its short name: the setting's flag is given the value, so the one
 * parser of the settings table validates it.
 */
export function withHduFlag(command: Command, options: { hdu?: string }): Command {
  if (options.hdu !== undefined) command.setOptionValueWithSource('fitsHdu', options.hdu, 'cli')
  return command
}

/** The mock sky's frames are 1024 px a side unless --size says otherwise (the teddy bear's 350 is too small a sky). */
function mockDefaults(command: Command, options: MockOptions): MockOptions {
  if (options.mock !== 'sky' || command.getOptionValueSource('size') !== 'default') return options
  return { ...options, size: MOCK_SKY_SIZE }
}

async function runMock(
  context: CliContext,
  options: MockOptions,
  stages: { analyze: boolean; alert: boolean },
  name: 'run' | 'receive',
): Promise<{ report: RunReport; complete?: CompleteStreams }> {
  const streams = streamNames(options)
  // Checked before anything is opened, so a typo costs no connection.
  streams.forEach(assertValidStreamName)
  return withBackends(context, PIPELINE_BACKENDS, async (backends) => {
    // A re-run continues each stream where it stopped instead of regenerating what is already recorded.
    const startAt = new Map<string, number>()
    for (const stream of streams) startAt.set(stream, await resumeImageNum(backends.catalog, stream))
    const truth: TruthRow[] = []
    const common = {
      streams,
      count: options.count,
      size: options.size,
      startAt: (stream: string) => startAt.get(stream) ?? 1,
      intervalMs: options.interval,
      signal: context.stop,
    }
    const source =
      options.mock === 'sky'
        ? mockSkySource({ ...common, seed: options.seed, onTruth: (rows) => truth.push(...rows) })
        : mockSource({ ...common, changeEvery: options.changeEvery, noise: options.noise })
    const expected = streams.reduce((sum, stream) => sum + Math.max(0, options.count - (startAt.get(stream) ?? 1) + 1), 0)
    let report: RunReport
    try {
      report = await runWithProgress(context, backends, source, stages, expected)
    } finally {
      // Written even when the run stops early: the frames that were received have their truth.
      if (options.mock === 'sky' && options.truth !== undefined) await writeTruth(options.truth, truth)
    }
    // A re-run of a finished stream receives nothing: say why, and what gives more images or a fresh start.
    const done = streams.filter((stream) => (startAt.get(stream) ?? 1) > options.count)
    if (expected > 0 || done.length === 0) return { report }
    const more = moreImagesCommand(name, options, Math.max(...done.map((stream) => (startAt.get(stream) ?? 1) - 1)))
    return { report, complete: { streams: done, count: options.count, more } }
  })
}

/** The truth rows of the frames this run rendered, as `imgpipe sky make`'s truth.csv; the path is said on stderr. */
async function writeTruth(file: string, rows: readonly TruthRow[]): Promise<void> {
  await writeFile(file, truthCsv(rows))
  const frames = new Set(rows.map((row) => `${row.field}\u0000${row.frame}`)).size
  process.stderr.write(`imgpipe: truth table of ${frames} mock-sky frame(s) in ${file}\n`)
}

/** `imgpipe run --count 20 --stream cam`: the same command with twice the images it already has. */
function moreImagesCommand(name: string, options: MockOptions, recorded: number): string {
  const flags = [`--count ${Math.max(recorded, options.count) * 2}`]
  if (options.mock === 'sky') flags.push('--mock sky')
  if (options.stream !== DEFAULT_STREAM) flags.push(`--stream ${options.stream}`)
  if (options.streams !== 1) flags.push(`--streams ${options.streams}`)
  return `imgpipe ${name} ${flags.join(' ')}`
}

async function runStage(context: CliContext, stage: 'analyze' | 'alert'): Promise<RunReport> {
  const inProcess = context.config.broker.kind === 'memory'
  if (inProcess) {
    context.logger.info(`in-process bus: ${stage} drains what the database holds pending, then exits`)
  }
  return withBackends(context, PIPELINE_BACKENDS, (backends) =>
    runPipelineWith(context, backends, {
      analyze: stage === 'analyze',
      // On the in-process bus nobody else would consume the alerts this process publishes.
      alert: stage === 'alert' || inProcess,
      until: inProcess ? 'drained' : 'stopped',
    }),
  )
}

/**
 * Shared by `run`, `receive` and `ingest`: a source, the stages downstream of it that run in this process,
 * and a progress bar over the `expected` new images (analysed ones when this process analyses, else received).
 */
export async function runWithProgress(
  context: CliContext,
  backends: PipelineBackends,
  source: ImageSource,
  stages: { analyze: boolean; alert: boolean },
  expected: number,
  onReceived?: (outcome: ReceiveOutcome) => void,
): Promise<RunReport> {
  const before = await backends.catalog.counts()
  const progress = new PipelineProgress(expected, stages.analyze ? before.imagesAnalyzed + before.imagesFailed : null)
  let received = 0
  try {
    return await runPipelineWith(context, backends, {
      source,
      ...stages,
      until: 'drained',
      onReceived: (outcome) => {
        progress.received(++received)
        onReceived?.(outcome)
      },
      onProgress: (counts: PipelineCounts) => progress.update(counts),
    })
  } finally {
    progress.stop()
  }
}

/**
 * The command's pipeline: its backends and settings as the stages' context, a log channel, its stop signal, the
 * delivery worker when it alerts; and, with IMGPIPE_METRICS_PORT, the metrics endpoint for as long as it runs.
 */
async function runPipelineWith(
  context: CliContext,
  backends: PipelineBackends,
  plan: Omit<PipelinePlan, 'channels' | 'stop' | 'delivery'>,
): Promise<RunReport> {
  const { config, logger } = context
  const endpoint = await startStageMetrics(context, backends, pipelineConsumers(context))
  // Difference imaging for FITS frames with a field, a filter and a WCS (its worker pool starts with the first one).
  const science = openScience(backends.catalog, config.analysis)
  const pipeline: PipelineContext = {
    ...backends,
    science,
    topics: topicsFor(config),
    analysis: config.analysis,
    consumer: config.consumer,
    receive: config.receive,
    partitions: config.topicPartitions,
    logger,
    // Receive's copy for the original's analysis client: files written whole, as the main store's; no fsync, as before.
    openAnalysisDir: (dir) => new FsObjectStore(dir, { fsync: false }),
    ...(endpoint === null ? {} : { metrics: endpoint.metrics }),
  }
  let delivery: Awaited<ReturnType<typeof startDelivery>> | undefined
  let report: Awaited<ReturnType<typeof runPipeline>> | undefined
  // Receivers recorded after this one are this run's deliveries (the summary counts them).
  let mark: number | undefined
  try {
    delivery = plan.alert ? await startDelivery(context, backends) : undefined
    const worker = delivery
    if (worker !== undefined) mark = await worker.subscriptions.lastReceiverId()
    report = await runPipeline(pipeline, {
      ...plan,
      channels: [new LogChannel(logger)],
      stop: context.stop,
      ...(worker === undefined
        ? {}
        : {
            delivery: {
              subscriptions: worker.subscriptions,
              onRecorded: () => worker.worker.wake(),
              // Filters on detections and watchlists read the objects kept on the same database.
              facts: { objects: backends.catalog.objectLedger(objectLedgerDeps), subscriptions: worker.subscriptions },
            },
          }),
    })
  } finally {
    // A drained run also waits (a bounded time) for its subscriptions' deliveries.
    await delivery?.close(
      report !== undefined && !report.stopped && plan.until === 'drained' ? config.delivery.timeoutMs + 5_000 : undefined,
    )
    await endpoint?.close()
    await science.compute.close()
  }
  let deliveries: DeliverySummary | null = null
  if (delivery !== undefined && mark !== undefined) {
    try {
      deliveries = await deliveriesSince(delivery.subscriptions, mark)
    } catch (error) {
      // The run's work is done and recorded; only its report of the deliveries is missing.
      logger.warn({ err: error }, 'the deliveries of this run could not be counted: see `imgpipe deliveries list`')
    }
  }
  return { ...report, deliveries }
}

/** Both consumer groups: whichever stage this process runs, the operator wants to see the lag downstream too. */
function pipelineConsumers(context: CliContext): { group: string; topic: string }[] {
  const topics = topicsFor(context.config)
  return [
    { group: topics.imageAnalysisGroup, topic: topics.imageAnalysis },
    { group: topics.imageEventAlertGroup, topic: topics.imageEventAlert },
  ]
}

export function printSummary(context: CliContext, report: RunReport, json: boolean, complete?: CompleteStreams): void {
  const { config } = context
  const where = {
    database: describeCatalog(config.database),
    objectStore: describeObjectStore(config.objectStore),
    broker: describeBus(config.broker),
  }
  if (json) {
    printJson({ ...report, ...(complete === undefined ? {} : { complete }), where })
    return
  }
  const { counts } = report
  const lines = [
    ...summaryLines(report, complete),
    `catalog:  ${counts.images} images (${counts.imagesAnalyzed} analysed, ${counts.imagesReceived} pending, ${counts.imagesFailed} failed), ${counts.events} image events, ${counts.alerts} alerts`,
    `database: ${where.database}`,
    `objects:  ${where.objectStore}`,
    `broker:   ${where.broker}`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  const warnings = summaryWarnings(report)
  if (warnings.length > 0) process.stderr.write(`${warnings.join('\n')}\n`)
}
