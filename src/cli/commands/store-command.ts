import { randomBytes } from 'node:crypto'
import type { Command } from 'commander'
import { describeObjectStore, isObjectStoreMissing, removeEmptyPrefix } from '../../adapters/backend-options.js'
import { describeError, ImgpipeError, StoreUnavailableError, toImgpipeError, UsageError } from '../../core/errors.js'
import { assertValidPrefix } from '../../core/object-keys.js'
import type { ObjectStore, StoredObject } from '../../core/ports/object-store.js'
import { cliContext, positiveInteger, printJson } from '../cli-context.js'
import { CountProgress } from '../count-progress.js'
import { formatBytes } from '../../core/alert-text.js'
import { cellText, formatTable, outputWidth } from '../table-format.js'
import { exitIfStillRunningAfter, formatDuration, withTimeLimit } from '../time-limit.js'
import { withBackends } from '../with-backends.js'

/**
 * `imgpipe store list|empty|check`: the original's object_storage_utility_scripts (show_bucket_contents,
 * empty_bucket) plus a round-trip check, on whichever store the configuration names (directory or S3).
 */

/** Keys per delete call: S3's DeleteObjects maximum, so each call is one request and one progress step. */
export const DELETE_BATCH = 1000

/** Where `store check` writes its probe; a random name below it per run, so concurrent checks never collide. */
export const CHECK_PREFIX = 'imgpipe-check/'

/** Per step of `store check`: generous for a slow link, short enough that a stalled server cannot hang it. */
const DEFAULT_CHECK_TIMEOUT_MS = 15_000
/** After a step timed out: time for the answer to be written before an abandoned request is cut off. */
const EXIT_GRACE_MS = 500

export function registerStoreCommand(program: Command): void {
  const store = program
    .command('store')
    .summary('the object store: list, empty, check')
    .description('the object store: list, empty, check (the original object_storage_utility_scripts)')

  store
    .command('list')
    .description('list the objects (key, size, modification time) and their total')
    .option('--prefix <prefix>', 'only keys that start with this, e.g. difference_image/')
    .option('--json', 'print the listing as JSON')
    .option(
      '--width <columns>',
      'fit the output to this many columns (default: the terminal width on a terminal, unlimited otherwise)',
      positiveInteger,
    )
    .action(async (options: { prefix?: string; json?: boolean; width?: number }, command: Command) => {
      const prefix = checkedPrefix(options.prefix)
      const context = cliContext(command)
      const where = describeObjectStore(context.config.objectStore)
      const objects = await withBackends(context, { store: 'open' }, ({ store: opened }) => listAll(opened, prefix))
      const totalBytes = objects.reduce((sum, object) => sum + object.size, 0)
      if (options.json === true) {
        printJson({
          store: where,
          prefix,
          count: objects.length,
          totalBytes,
          objects: objects.map((object) => ({
            key: object.key,
            size: object.size,
            lastModified: object.lastModified?.toISOString() ?? null,
          })),
        })
        return
      }
      const under = prefix === '' ? '' : ` under ${JSON.stringify(prefix)}`
      const total =
        objects.length === 0
          ? `no objects${under} in ${where}`
          : `${objects.length} object${objects.length === 1 ? '' : 's'}, ${totalBytes} bytes (${formatBytes(totalBytes)})${under} in ${where}`
      const table = formatTable(
        [{ header: 'key' }, { header: 'size', align: 'right' }, { header: 'last_modified' }],
        objects.map((object) => [cellText(object.key), String(object.size), cellText(object.lastModified)]),
        // Keys are what this listing is for: let them run long, up to S3's 1024-byte limit.
        { maxWidth: outputWidth(options.width), maxCellWidth: 1024 },
      )
      process.stdout.write(`${[...(objects.length === 0 ? [] : table.lines), total].join('\n')}\n`)
    })

  store
    .command('empty')
    .description('delete every object, or every object under --prefix (destructive: needs --yes)')
    .option('--yes', 'confirm: delete the objects')
    .option('--prefix <prefix>', 'only keys that start with this')
    .option('--json', 'print the result as JSON')
    .action(async (options: { yes?: boolean; prefix?: string; json?: boolean }, command: Command) => {
      const prefix = checkedPrefix(options.prefix)
      const context = cliContext(command)
      const where = describeObjectStore(context.config.objectStore)
      const under = prefix === '' ? '' : ` under ${JSON.stringify(prefix)}`
      if (options.yes !== true) {
        throw new UsageError(`store empty would delete every object${under} in ${where}; run it again with --yes to do so`)
      }
      const result = await withBackends(context, { store: 'open' }, ({ store: opened }) => emptyStore(opened, prefix, context.stop))
      if (options.json === true) {
        printJson({ store: where, prefix, deleted: result.deleted, found: result.found, stopped: result.stopped })
      } else if (result.stopped) {
        process.stdout.write(`stopped (signal) after deleting ${result.deleted} of ${result.found} objects${under} in ${where}\n`)
      } else {
        process.stdout.write(`deleted ${result.deleted} object${result.deleted === 1 ? '' : 's'}${under} from ${where}\n`)
      }
      if (result.stopped) process.exitCode = 1
    })

  store
    .command('check')
    .description(
      `write, list, read back (comparing bytes) and delete a probe object under ${CHECK_PREFIX}: does the store work for imgpipe?`,
    )
    .option('--timeout <ms>', 'time limit per step', positiveInteger, DEFAULT_CHECK_TIMEOUT_MS)
    .action(async (options: { timeout: number }, command: Command) => {
      const context = cliContext(command)
      const where = describeObjectStore(context.config.objectStore)
      // A check leaves the store as it found it: it does not make the directory (an S3 bucket that is not
      // there fails the put, so no bucket is made either).
      if (isObjectStoreMissing(context.config.objectStore)) {
        throw new StoreUnavailableError(
          `store check failed on ${where}: the directory does not exist (\`imgpipe run\`, \`receive\` or \`ingest\` creates it)`,
          { canRetry: false },
        )
      }
      let abandoned = false
      try {
        await withBackends(context, { store: 'open' }, ({ store: opened }) =>
          checkStore(opened, where, options.timeout, () => (abandoned = true)),
        )
      } finally {
        // A step that timed out may still hold a socket to a silent server: do not wait for it.
        if (abandoned) exitIfStillRunningAfter(EXIT_GRACE_MS)
        await removeEmptyPrefix(context.config.objectStore, CHECK_PREFIX)
      }
      process.stdout.write(`store check passed (put, list, get, delete) on ${where}\n`)
    })
}

/** The prefix as given, or '' for none; one that could never name a key is a usage error, not a store failure. */
function checkedPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return ''
  try {
    assertValidPrefix(prefix)
  } catch (error) {
    throw new UsageError(`--prefix ${JSON.stringify(prefix)} is not a valid key prefix: ${describeError(error)}`)
  }
  return prefix
}

async function listAll(store: ObjectStore, prefix: string): Promise<StoredObject[]> {
  const progress = new CountProgress({ label: 'listing', unit: 'objects', total: null, clearWhenDone: true })
  const objects: StoredObject[] = []
  try {
    for await (const object of store.list(prefix)) {
      objects.push(object)
      progress.increment()
    }
  } finally {
    progress.stop()
  }
  return objects
}

export interface EmptyResult {
  /** Objects the listing found. */
  found: number
  deleted: number
  /** A signal stopped it between two batches. */
  stopped: boolean
}

/**
 * Lists first, then deletes in batches: deleting while a listing pages on would change what the
 * listing walks (a directory, or an S3 continuation). A failure says how far it got.
 */
export async function emptyStore(store: ObjectStore, prefix: string, stop?: AbortSignal): Promise<EmptyResult> {
  const keys = (await listAll(store, prefix)).map((object) => object.key)
  const progress = new CountProgress({ label: 'deleting', unit: 'objects', total: keys.length })
  try {
    for (let index = 0; index < keys.length; index += DELETE_BATCH) {
      if (stop?.aborted === true) return { found: keys.length, deleted: progress.done, stopped: true }
      const batch = keys.slice(index, index + DELETE_BATCH)
      try {
        await store.delete(batch)
      } catch (error) {
        const cause = toImgpipeError(error)
        const message = `store empty stopped after deleting ${progress.done} of ${keys.length} objects: ${describeError(cause)}`
        throw new ImgpipeError(cause.code, message, cause.canRetry, { cause })
      }
      progress.increment(batch.length)
    }
  } finally {
    progress.stop()
  }
  // Unfinished writes' leftovers are not objects (list hides them), but emptying must not keep them.
  await store.removeLeftovers?.(prefix)
  return { found: keys.length, deleted: keys.length, stopped: false }
}

type CheckStep = 'put' | 'list' | 'get' | 'delete'

/**
 * The round trip the pipeline depends on, each step under a time limit, on a probe key of its own. The
 * probe is deleted whatever failed (a failure of that clean-up is not reported over the real one).
 * `onTimeout` hears of each step given up on while its request was still in flight.
 */
export async function checkStore(store: ObjectStore, where: string, timeoutMs: number, onTimeout?: () => void): Promise<void> {
  const key = `${CHECK_PREFIX}${randomBytes(12).toString('hex')}`
  // Random bytes, so a store that returned some other object (or a cached one) cannot pass by accident.
  const bytes = randomBytes(4096 + (randomBytes(1)[0] ?? 0))
  let step: CheckStep = 'put'
  const limited = <T>(work: Promise<T>): Promise<T> =>
    withTimeLimit(work, timeoutMs, () => {
      onTimeout?.()
      return new StoreUnavailableError(`no answer within ${formatDuration(timeoutMs)}`)
    })
  let deleted = false
  try {
    await limited(store.put(key, bytes, { contentType: 'application/octet-stream' }))
    step = 'list'
    const listed = await limited(collect(store.list(key)))
    const entry = listed.find((object) => object.key === key)
    if (entry === undefined) throw new StoreUnavailableError(`the probe ${key} is missing from a listing of its own prefix`)
    if (entry.size !== bytes.length)
      throw new StoreUnavailableError(`the listing gives the probe ${entry.size} bytes, ${bytes.length} were written`)
    step = 'get'
    const read = await limited(store.get(key))
    if (!read.equals(bytes))
      throw new StoreUnavailableError(
        `the probe read back differs from what was written (${read.length} bytes read, ${bytes.length} written)`,
      )
    step = 'delete'
    await limited(store.delete([key]))
    deleted = true
    if ((await limited(store.stat(key))) !== null) throw new StoreUnavailableError(`the probe ${key} is still there after its delete`)
  } catch (error) {
    if (!deleted) await limited(store.delete([key])).catch(() => undefined)
    const cause = toImgpipeError(error)
    throw new StoreUnavailableError(`store check failed at ${step} on ${where}: ${describeError(cause)}`, {
      cause,
      canRetry: cause.canRetry,
    })
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}
