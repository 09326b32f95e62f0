import type { BackendsOptions } from '../adapters/open-backends.js'
import type { CatalogOptions } from '../adapters/backend-options.js'
import { describeCatalog, isCatalogMissing } from '../adapters/backend-options.js'
import { openBus, openCatalog, openObjectStore } from '../adapters/open-backends.js'
import { ENV } from '../config/settings.js'
import { catalogMissingError } from '../adapters/sql/sql-errors.js'
import type { Logger } from '../core/logger.js'
import type { Bus } from '../core/ports/bus.js'
import type { Catalog } from '../core/ports/catalog.js'
import type { CatalogAdmin } from '../core/ports/catalog-admin.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import { withTimeLimit } from './time-limit.js'

/**
 * What a command needs opened.
 * - `open`: connected only, nothing created, for commands that only read: no SQLite file or directory, no
 *   bucket, no store directory is left behind. A SQLite file that is not there is one NotFoundError naming
 *   `imgpipe db create` (missing tables on a server say the same when first queried).
 * - `create` (catalog): the SQLite file and its directory created if missing, the schema left as it is
 *   (`db create` and `db reset` migrate or drop it themselves).
 * - `ready`: the catalog's schema created or migrated, the bucket or directory created (commands that write).
 */
export interface BackendNeeds {
  catalog?: 'open' | 'create' | 'ready'
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
    if (needs.catalog === 'open') assertCatalogExists(config.database)
    if (needs.catalog !== undefined) opened.catalog = await openCatalog(config.database, { create: needs.catalog !== 'open' })
    if (needs.store !== undefined) opened.store = await openObjectStore(config.objectStore)
    if (needs.bus !== undefined) opened.bus = await openBus(config.broker, config.topicPartitions, context.logger)
    if (needs.catalog === 'ready') await opened.catalog?.migrate()
    if (needs.store === 'ready') await opened.store?.ensureReady()
    return await work(opened as OpenedBackends<N>)
  } finally {
    await closeAll([opened.bus, opened.store, opened.catalog], context)
  }
}

/**
 * For commands that only read: a catalog known to be missing (a SQLite file that is not there) is one line
 * naming the command that creates it, and the setting, in case the path is the mistake.
 */
export function assertCatalogExists(database: CatalogOptions): void {
  if (isCatalogMissing(database)) {
    throw catalogMissingError(describeCatalog(database), ` (or point ${ENV.databaseUrl} / --database-url at an existing one)`)
  }
}

/**
 * For a long-running reader (the web viewer) that would otherwise start and fail on every request: a catalog
 * without its tables (a new MySQL/PostgreSQL database, an empty SQLite file) is one line naming
 * `imgpipe db create` at start. One query that reads no row.
 */
export async function assertCatalogTables(catalog: Pick<CatalogAdmin, 'tableRows'>): Promise<void> {
  await catalog.tableRows('image_metadata', { limit: 0 })
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
