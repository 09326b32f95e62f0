import type { Command } from 'commander'
import {
  describeBus,
  describeCatalog,
  describeObjectStore,
  isCatalogMissing,
  isObjectStoreMissing,
} from '../../adapters/backend-options.js'
import type { Config } from '../../config.js'
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
import type { PipelineCounts } from '../../core/types.js'
import { cliContext, positiveInteger, printJson } from '../cli-context.js'
import { safeText } from '../table-format.js'
import { exitIfStillRunningAfter, formatDuration, withTimeLimit } from '../time-limit.js'
import { withBackends, type BackendsContext } from '../with-backends.js'
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
}

const COMPONENTS: readonly Component[] = ['database', 'store', 'broker']

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
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
      return config.broker.kind === 'memory' ? 'in-process bus: answers by construction' : null
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
  }
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
    return { target, answers: false, ms: elapsed(), detail: describeError(failure), code: failure.code }
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
