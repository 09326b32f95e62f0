import type { Command } from 'commander'
import {
  describeBus,
  describeCatalog,
  describeObjectStore,
  isCatalogMissing,
  isObjectStoreMissing,
} from '../../adapters/backend-options.js'
import type { Config } from '../../config/load-config.js'
import {
  BusUnavailableError,
  CatalogUnavailableError,
  describeError,
  ImgpipeError,
  StoreUnavailableError,
  toImgpipeError,
} from '../../core/errors.js'
import type { ErrorCode } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import type { ChannelKind, ReceiverTally } from '../../core/ports/subscriptions.js'
import type { PipelineCounts } from '../../core/types.js'
import { subscriptionsOf } from '../delivery-setup.js'
import { cliContext, positiveInteger, printJson } from '../cli-context.js'
import { safeText } from '../table-format.js'
import { exitIfStillRunningAfter, formatDuration, withTimeLimit } from '../time-limit.js'
import { withBackends, type BackendsContext } from '../with-backends.js'
import { collectConsumerLag, renderConsumerLag, type LagRow } from './consumer-lag-report.js'
import { describePipelineCounts } from './db-command.js'
import { CHECK_PREFIX } from './store-command.js'

/**
 * `imgpipe status`: where imgpipe is configured to keep its data and send its messages, whether each
 * service answers, and what the catalog holds. Every probe runs under a time limit and all run at once,
 * so the command ends within a few seconds even when a service is dead or a firewall drops packets.
 */

/** Per service: a healthy one answers in milliseconds; a dead one should not keep an operator waiting. */
const DEFAULT_TIMEOUT_MS = 5_000
/** How long closing one client may take (see `closing` below). */
const CLOSE_TIMEOUT_MS = 1_000
/** After a probe timed out: time for the answer to be written before an abandoned request is cut off. */
const EXIT_GRACE_MS = 500

export type Component = 'database' | 'store' | 'broker'

export interface ComponentStatus {
  /** The location, without credentials. */
  target: string
  answers: boolean
  /** Milliseconds the probe took (until it failed, for one that does not answer). */
  ms: number
  /** What was found: how it answered, or why it does not. */
  detail: string
  /** The error's stable code, when it does not answer. */
  code?: ErrorCode
}

export interface StatusReport {
  /** Every service answers. */
  ok: boolean
  database: ComponentStatus
  store: ComponentStatus
  broker: ComponentStatus
  /** The catalog's counts, when the database answered and holds the tables. */
  counts: PipelineCounts | null
  /** Why there are no counts, when there are none. */
  countsDetail?: string
  /** Per consumer group, topic and partition; null when the broker did not answer or cannot tell. */
  consumerLag: LagRow[] | null
  /** Why there is no lag, when there is none. */
  consumerLagDetail?: string
  /** The first failed images (see `imgpipe reanalyze --failed`), when there are any. */
  failedImages?: FailedImage[]
  /** Per subscription, deliveries that failed (and wait for a retry) or are dead, when there are any. */
  failedDeliveries?: FailedDeliveries[]
}

export interface FailedDeliveries {
  subscription: string
  subscriber: string
  channel: ChannelKind
  /** Failed, another attempt is scheduled. */
  retrying: number
  /** Failed for good: refused or out of attempts. */
  dead: number
}

export interface FailedImage {
  /**
   * `receive`: the bytes were not a readable image (nothing to analyse again: a good copy must be ingested);
   * `analysis`: a readable image whose analysis failed (`imgpipe reanalyze --failed` takes it again).
   */
  stage: 'receive' | 'analysis'
  imageId: number
  stream: string
  imageNum: number | null
  filename: string
  code: string | null
  reason: string | null
}

/** Failed images listed by `status`; `db show --table image_metadata` has them all. */
const FAILED_LISTED = 20

const COMPONENTS: readonly Component[] = ['database', 'store', 'broker']

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .summary('the backends, whether each answers, the counts')
    .description(
      'show the configured database, object store and broker, whether each answers, and the pipeline counts; exit code 1 when one does not answer',
    )
    .option('--json', 'print the status as JSON')
    .option('--timeout <ms>', 'time limit for each service to answer', positiveInteger, DEFAULT_TIMEOUT_MS)
    .action(async (options: { json?: boolean; timeout: number }, command: Command) => {
      const { config, logger } = cliContext(command)
      let abandoned = false
      const report = await collectStatus(config, logger, options.timeout, () => (abandoned = true))
      if (options.json === true) printJson(report)
      else process.stdout.write(`${renderStatus(report).join('\n')}\n`)
      // A probe that timed out may still hold a socket to its silent server: do not wait for it.
      if (abandoned) exitIfStillRunningAfter(EXIT_GRACE_MS)
      if (!report.ok) throw statusError(report)
    })
}

/**
 * Probes the three services at once; never throws for a service that does not answer (that is the
 * report). `onTimeout` hears of each probe given up on while its request was still in flight.
 */
export async function collectStatus(config: Config, logger: Logger, timeoutMs: number, onTimeout?: () => void): Promise<StatusReport> {
  let counts: PipelineCounts | null = null
  let countsDetail: string | undefined
  let consumerLag: LagRow[] | null = null
  let consumerLagDetail: string | undefined
  let failedImages: FailedImage[] | undefined
  let failedDeliveries: FailedDeliveries[] | undefined
  const limited = <T>(work: Promise<T>, unavailable: (message: string) => ImgpipeError): Promise<T> =>
    withTimeLimit(work, timeoutMs, () => {
      onTimeout?.()
      return unavailable(`no answer within ${formatDuration(timeoutMs)}`)
    })

  // Closing a client whose server vanished can wait on that server too; what does not answer is reported already.
  const closing: BackendsContext = {
    config,
    logger,
    closeTimeoutMs: CLOSE_TIMEOUT_MS,
    closeFailures: 'ignore',
    ...(onTimeout === undefined ? {} : { onCloseTimeout: onTimeout }),
  }

  const database = probe(describeCatalog(config.database), async () => {
    // Opening a SQLite catalog creates the file: a status query must not leave one behind.
    if (isCatalogMissing(config.database)) {
      countsDetail = 'no data yet'
      return 'no database file yet (the first run or imgpipe db create makes it)'
    }
    return withBackends(closing, { catalog: 'open' }, async ({ catalog }) => {
      await limited(catalog.ping(), (message) => new CatalogUnavailableError(message))
      try {
        counts = await limited(catalog.counts(), (message) => new CatalogUnavailableError(message))
        if (counts.imagesFailed > 0) {
          const failed = await limited(catalog.listFailedImages(FAILED_LISTED), (message) => new CatalogUnavailableError(message))
          failedImages = failed.map((image) => ({
            // The receive stage records a format only for bytes it could read as an image (see check-incoming.ts).
            stage: image.format === null ? ('receive' as const) : ('analysis' as const),
            imageId: image.imageId,
            stream: image.stream,
            imageNum: image.imageNum,
            filename: image.imageFilename,
            code: image.errorCode,
            reason: image.errorMessage,
          }))
        }
        const tally = await limited(
          subscriptionsOf(catalog).tallyReceivers({ statuses: ['failed', 'dead'] }),
          (message) => new CatalogUnavailableError(message),
        )
        if (tally.length > 0) failedDeliveries = failedDeliveriesOf(tally)
      } catch (error) {
        // The server answers; tables that are missing or unreadable are worth saying, not a dead service.
        countsDetail = `counts unavailable: ${describeError(error)}`
      }
      return null
    })
  })

  const store = probe(describeObjectStore(config.objectStore), async () => {
    // Not an error: the first run creates it (a listing of a missing directory finds nothing either).
    if (isObjectStoreMissing(config.objectStore)) return 'no directory yet (the first run makes it)'
    return withBackends(closing, { store: 'open' }, async ({ store: opened }) => {
      // A listing (not a stat) of a small prefix: S3 answers a HEAD on a missing bucket like a missing key.
      await limited(firstOf(opened.list(CHECK_PREFIX)), (message) => new StoreUnavailableError(message))
      return null
    })
  })

  const broker = probe(describeBus(config.broker), () =>
    withBackends(closing, { bus: 'open' }, async ({ bus }) => {
      await limited(bus.ping(), (message) => new BusUnavailableError(message))
      if (config.broker.kind === 'memory') {
        consumerLagDetail = 'in-process bus: its lag lives in the running process (see its /metrics)'
        return 'in-process bus: answers by construction'
      }
      try {
        consumerLag = await limited(collectConsumerLag(bus, config), (message) => new BusUnavailableError(message))
      } catch (error) {
        consumerLagDetail = `lag unavailable: ${describeError(error)}`
      }
      return null
    }),
  )

  const [databaseStatus, storeStatus, brokerStatus] = await Promise.all([database, store, broker])
  if (!databaseStatus.answers) countsDetail = 'unknown: the database does not answer'
  return {
    ok: databaseStatus.answers && storeStatus.answers && brokerStatus.answers,
    database: databaseStatus,
    store: storeStatus,
    broker: brokerStatus,
    counts,
    ...(counts === null && countsDetail !== undefined ? { countsDetail } : {}),
    consumerLag,
    ...(consumerLagDetail === undefined ? {} : { consumerLagDetail }),
    ...(failedImages === undefined ? {} : { failedImages }),
    ...(failedDeliveries === undefined ? {} : { failedDeliveries }),
  }
}

function failedDeliveriesOf(tally: readonly ReceiverTally[]): FailedDeliveries[] {
  const bySubscription = new Map<number, FailedDeliveries>()
  for (const row of tally) {
    const entry = bySubscription.get(row.subscriptionId) ?? {
      subscription: row.subscription,
      subscriber: row.subscriber,
      channel: row.channel,
      retrying: 0,
      dead: 0,
    }
    if (row.status === 'dead') entry.dead += row.count
    else entry.retrying += row.count
    bySubscription.set(row.subscriptionId, entry)
  }
  return [...bySubscription.values()]
}

/** Runs one probe: a string it returns is the detail of a service that answers (null: "answered in N ms"). */
async function probe(target: string, work: () => Promise<string | null>): Promise<ComponentStatus> {
  const started = performance.now()
  const elapsed = (): number => Math.round(performance.now() - started)
  try {
    const detail = await work()
    const ms = elapsed()
    return { target, answers: true, ms, detail: detail ?? `answered in ${ms} ms` }
  } catch (error) {
    const failure = toImgpipeError(error)
    // The adapters name what failed (`catalog ping (postgres://…)`); the report names the target beside it already.
    const detail = describeError(failure).replaceAll(` (${target})`, '')
    return { target, answers: false, ms: elapsed(), detail, code: failure.code }
  }
}

async function firstOf<T>(items: AsyncIterable<T>): Promise<T | undefined> {
  // Returning from the loop ends the iterator, so only the first page is ever fetched.
  for await (const item of items) return item
  return undefined
}

/** The report as lines for a terminal: one per service, then the counts. */
export function renderStatus(report: StatusReport): string[] {
  const lines = COMPONENTS.map((component) => {
    const status = report[component]
    return `${component.padEnd(9)}${(status.answers ? 'up' : 'DOWN').padEnd(6)}${safeText(status.target)} — ${safeText(status.detail)}`
  })
  const pipeline = report.counts === null ? (report.countsDetail ?? 'unknown') : describePipelineCounts(report.counts)
  lines.push(`${'pipeline'.padEnd(15)}${safeText(pipeline)}`)
  if (report.broker.answers) lines.push(...renderConsumerLag(report.consumerLag, report.consumerLagDetail))
  lines.push(...renderFailedImages(report), ...renderFailedDeliveries(report.failedDeliveries ?? []))
  return lines
}

const INDENT = ''.padEnd(15)

/** Failed images, then per kind of failure a remedy that works for it (each is run as printed in the tests). */
function renderFailedImages(report: StatusReport): string[] {
  const images = report.failedImages ?? []
  const lines: string[] = []
  for (const image of images) {
    const where = `${image.stream} #${image.imageNum ?? '?'} (image ${image.imageId}, ${image.filename})`
    const when = image.stage === 'receive' ? 'at receive' : 'in analysis'
    lines.push(`${'failed'.padEnd(15)}${safeText(where)} ${when}: ${safeText(image.reason ?? image.code ?? 'unknown reason')}`)
  }
  const more = (report.counts?.imagesFailed ?? 0) - images.length
  if (more > 0) lines.push(`${INDENT}… ${more} more failed images (\`imgpipe db show --table image_metadata\` lists every row)`)
  const received = images.filter((image) => image.stage === 'receive')
  if (received.length > 0) {
    const streams = [...new Set(received.map((image) => image.stream))]
    lines.push(
      `${INDENT}files that were not readable images have nothing to analyse again; ingest a good copy instead:`,
      ...streams.map((stream) => `${INDENT}  \`imgpipe ingest <good copy of the file> --stream ${safeText(stream)}\``),
    )
  }
  if (images.some((image) => image.stage === 'analysis') || more > 0) {
    lines.push(`${INDENT}images whose analysis failed can be analysed again: \`imgpipe reanalyze --failed\``)
  }
  return lines
}

/** Deliveries that failed, per subscription, with the commands that show them and send them again. */
function renderFailedDeliveries(failed: readonly FailedDeliveries[]): string[] {
  if (failed.length === 0) return []
  const lines = failed.map((entry) => {
    const counts = [entry.dead > 0 ? `${entry.dead} dead` : null, entry.retrying > 0 ? `${entry.retrying} retrying` : null]
    const who = `${entry.channel} subscription ${entry.subscription} (subscriber ${entry.subscriber})`
    return `${'deliveries'.padEnd(15)}${safeText(who)}: ${counts.filter((count) => count !== null).join(', ')}`
  })
  if (failed.some((entry) => entry.dead > 0)) {
    lines.push(
      `${INDENT}dead deliveries (failed for good): \`imgpipe deliveries list --status dead\` shows why; once the cause`,
      `${INDENT}is fixed, \`imgpipe deliveries retry --status dead\` makes them due and \`imgpipe deliver --once\` sends them`,
    )
  }
  if (failed.some((entry) => entry.retrying > 0)) {
    lines.push(`${INDENT}retrying deliveries are sent by a running imgpipe alert process, or now by \`imgpipe deliver --once\``)
  }
  return lines
}

/** One line naming what does not answer, with the error code of the first of them. */
function statusError(report: StatusReport): ImgpipeError {
  const down = COMPONENTS.filter((component) => !report[component].answers)
  const first = report[down[0] ?? 'database']
  const names = down.map((component) => `${component} ${report[component].target}`)
  const message =
    down.length === 1
      ? `${names[0]} is not available: ${first.detail}`
      : `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are not available`
  return new ImgpipeError(first.code ?? 'IMGPIPE_INTERNAL', safeText(message), true)
}
