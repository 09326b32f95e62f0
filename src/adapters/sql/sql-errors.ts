import { errorChain, errorCode, errorCodeKind, isTlsFailureCode } from '../../core/error-chain.js'
import { CatalogConflictError, CatalogUnavailableError, isImgpipeError, NotFoundError, toImgpipeError } from '../../core/errors.js'
import type { ImgpipeError } from '../../core/errors.js'

/**
 * What a driver error means for the caller. Each adapter classifies its own driver's codes; this module
 * turns the class into the errors of `core/errors.ts`, keeping the driver error as `cause`.
 *
 * - `transient`: connection refused/lost, timeouts, too many connections, busy/locked:
 *   `CatalogUnavailableError`, retryable.
 * - `contention`: a deadlock or serialization failure between concurrent transactions: also
 *   `CatalogUnavailableError`, and the idempotent writes retry it at once themselves.
 * - `refused`: the database answers but will not serve us (bad credentials, unknown database, read-only
 *   file): `CatalogUnavailableError`, not retryable, since waiting does not fix a configuration.
 * - `no-schema`: a catalog table is missing: not retryable, the message names the command that creates it.
 * - `conflict`: a constraint the idempotent paths do not absorb (foreign key, NOT NULL, too long).
 */
export type DriverErrorClass = 'transient' | 'contention' | 'refused' | 'no-schema' | 'conflict'

export type DriverErrorClassifier = (error: DriverError) => DriverErrorClass | null

/** The command that creates the catalog tables (or upgrades them): what every "no catalog" message names. */
export const CREATE_CATALOG_COMMAND = 'imgpipe db create'

/**
 * A catalog that is not there (a SQLite file that does not exist): commands that only read open nothing
 * that would create it, and say in one line how to make it.
 */
export function catalogMissingError(where: string, extra = ''): NotFoundError {
  return new NotFoundError(`no catalog at ${where}: create it with \`${CREATE_CATALOG_COMMAND}\`${extra}`)
}

/** The fields the three drivers put on their errors (better-sqlite3, mysql2, pg, Node's net). */
export interface DriverError {
  message: string
  code: string | undefined
  errno: number | undefined
  sqlState: string | undefined
  /** mysql2: the connection is unusable after this error. */
  fatal: boolean
}

/** The driver error itself and, for wrapped ones (AggregateError, `cause`), those inside it. */
function driverErrors(error: unknown): DriverError[] {
  return errorChain(error, { maxDepth: 4 })
    .filter((value): value is Record<string, unknown> => typeof value === 'object' && value !== null)
    .map((record) => ({
      message: typeof record['message'] === 'string' ? record['message'] : '',
      code: errorCode(record),
      errno: typeof record['errno'] === 'number' ? record['errno'] : undefined,
      sqlState: typeof record['sqlState'] === 'string' ? record['sqlState'] : undefined,
      fatal: record['fatal'] === true,
    }))
}

export function classifyDriverError(error: unknown, classify: DriverErrorClassifier): DriverErrorClass | null {
  for (const candidate of driverErrors(error)) {
    // Node's and the TLS layer's codes mean the same for every driver; the rest is the driver's own.
    if (errorCodeKind(candidate.code) === 'network') return 'transient'
    if (isTlsFailureCode(candidate.code)) return 'refused'
    const verdict = classify(candidate)
    if (verdict !== null) return verdict
  }
  return null
}

/**
 * Maps anything a catalog operation threw to an ImgpipeError. Ours pass through; driver errors are
 * classified; the rest (a bug such as a syntax error) becomes IMGPIPE_INTERNAL, which is not retried.
 */
export function toCatalogError(error: unknown, classify: DriverErrorClassifier, context: string): ImgpipeError {
  if (isImgpipeError(error)) return error
  const reason = error instanceof Error ? error.message : String(error)
  switch (classifyDriverError(error, classify)) {
    case 'transient':
    case 'contention':
      return new CatalogUnavailableError(`${context}: database unavailable: ${reason}`, { cause: error })
    case 'refused':
      return new CatalogUnavailableError(`${context}: database refused: ${reason}`, { cause: error, canRetry: false })
    case 'no-schema':
      return new CatalogUnavailableError(
        `${context}: the catalog tables are missing, create or migrate them with \`${CREATE_CATALOG_COMMAND}\`: ${reason}`,
        {
          cause: error,
          canRetry: false,
        },
      )
    case 'conflict':
      return new CatalogConflictError(`${context}: constraint violated: ${reason}`, { cause: error })
    case null:
      return toImgpipeError(error)
  }
}
