import type { BackendsOptions } from '../adapters/open-backends.js'
import { describeCatalog, isCatalogMissing } from '../adapters/backend-options.js'
import { openBus, openCatalog, openObjectStore } from '../adapters/open-backends.js'
import { ENV } from '../config.js'
import { NotFoundError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { Bus } from '../core/ports/bus.js'
import type { Catalog } from '../core/ports/catalog.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import { withTimeLimit } from './time-limit.js'

/**
 * What a command needs opened. `open`: connected only (nothing created: a read-only command leaves no bucket
 * or directory behind); `ready`: the catalog's schema created or migrated, the bucket or directory created;
 * `existing` (catalog): like `open`, but a SQLite file that is not there is a NotFoundError instead of an
 * empty database made where the user mistyped the path.
 */
export interface BackendNeeds {
  catalog?: 'open' | 'ready' | 'existing'
  store?: 'open' | 'ready'
  bus?: 'open'
}

/** The backends a command asked for, and only those. */
export type OpenedBackends<N extends BackendNeeds> = {
  [K in keyof N & keyof Ports]-?: N[K] extends string ? Ports[K] : never
}

interface Ports {
  catalog: Catalog
  store: ObjectStore
  bus: Bus
}

/** Where the backends are (a command's CliContext will do), and how closing them goes. */
export interface BackendsContext {
  config: BackendsOptions
  /** For the bus, and to hear of a backend that failed to close (the work's outcome stands). */
  logger: Logger
  /** `ignore`: a probe that already reports what does not answer (status) says nothing more of a failed close. */
  closeFailures?: 'log' | 'ignore'
  /** Gives up waiting for a close after this long (a client whose server vanished can wait on it). */
  closeTimeoutMs?: number
  onCloseTimeout?: () => void
}

/**
 * Opens what `work` needs (catalog, then store, then bus), makes it ready if asked, runs `work`, and closes
 * everything it opened whatever happens, even when opening a later one failed. Closing never hides the
 * work's outcome: a close that fails is logged.
 */
export async function withBackends<N extends BackendNeeds, T>(
  context: BackendsContext,
  needs: N,
  work: (backends: OpenedBackends<N>) => Promise<T>,
): Promise<T> {
  const { config } = context
  const opened: Partial<Ports> = {}
  try {
    if (needs.catalog === 'existing' && isCatalogMissing(config.database)) {
      throw new NotFoundError(`no catalog at ${describeCatalog(config.database)}: run \`imgpipe run\` first or set ${ENV.databaseUrl}`)
    }
    if (needs.catalog !== undefined) opened.catalog = await openCatalog(config.database)
    if (needs.store !== undefined) opened.store = await openObjectStore(config.objectStore)
    if (needs.bus !== undefined) opened.bus = await openBus(config.broker, config.topicPartitions, context.logger)
    if (needs.catalog === 'ready') await opened.catalog?.migrate()
    if (needs.store === 'ready') await opened.store?.ensureReady()
    return await work(opened as OpenedBackends<N>)
  } finally {
    await closeAll([opened.bus, opened.store, opened.catalog], context)
  }
}

async function closeAll(backends: readonly ({ close(): Promise<void> } | undefined)[], context: BackendsContext): Promise<void> {
  const { closeTimeoutMs, onCloseTimeout, logger, closeFailures = 'log' } = context
  const closing = backends.flatMap((backend) => (backend === undefined ? [] : [backend.close()]))
  const limited =
    closeTimeoutMs === undefined
      ? closing
      : closing.map((close) =>
          withTimeLimit(close, closeTimeoutMs, () => {
            onCloseTimeout?.()
            return new Error(`close timed out after ${closeTimeoutMs} ms`)
          }),
        )
  for (const result of await Promise.allSettled(limited)) {
    if (result.status === 'rejected' && closeFailures === 'log') logger.warn({ err: result.reason }, 'closing a backend failed')
  }
}
