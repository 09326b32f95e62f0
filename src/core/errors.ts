/**
 * One errors module for the whole pipeline (modelled on platformatic/kafka's `src/errors.ts`).
 *
 * Every error the pipeline raises on purpose is an {@link ImgpipeError} with
 * - a stable `code` that scripts, logs and tests can match on (never the message text);
 * - a `cause` when it wraps a lower-level failure;
 * - `canRetry`, which tells the worker loop what to do: retry the same message later (`true`), or
 *   record the failure and move on (`false`). Retries happen only where `canRetry` says so.
 */

import { errorChain } from './error-chain.js'

export type ErrorCode =
  | 'IMGPIPE_CONFIG_INVALID'
  | 'IMGPIPE_USAGE'
  | 'IMGPIPE_IMAGE_INVALID'
  | 'IMGPIPE_IMAGE_TOO_LARGE'
  | 'IMGPIPE_MESSAGE_INVALID'
  | 'IMGPIPE_NOT_FOUND'
  | 'IMGPIPE_OBJECT_NOT_FOUND'
  | 'IMGPIPE_OBJECT_MISMATCH'
  | 'IMGPIPE_OBJECT_KEY_INVALID'
  | 'IMGPIPE_CATALOG_UNAVAILABLE'
  | 'IMGPIPE_CATALOG_CONFLICT'
  | 'IMGPIPE_STORE_UNAVAILABLE'
  | 'IMGPIPE_BUS_UNAVAILABLE'
  | 'IMGPIPE_DELIVERY_FAILED'
  | 'IMGPIPE_CLOSED'
  | 'IMGPIPE_INTERNAL'
  | 'IMGPIPE_WCS_INVALID'

export interface ImgpipeErrorOptions {
  cause?: unknown
  /** Overrides the class default, e.g. a store error that is permanent (403) rather than transient. */
  canRetry?: boolean
}

export class ImgpipeError extends Error {
  readonly code: ErrorCode
  readonly canRetry: boolean

  constructor(code: ErrorCode, message: string, canRetry: boolean, options: ImgpipeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.canRetry = options.canRetry ?? canRetry
  }
}

/** A configuration value (env var or flag) is missing or malformed. `message` names the variable. */
export class ConfigError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_CONFIG_INVALID', message, false, options)
  }
}

/** The command line was used wrongly (bad argument, missing --yes). */
export class UsageError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_USAGE', message, false, options)
  }
}

/** The bytes are not an image we can read: empty, truncated, corrupt, unsupported format. */
export class InvalidImageError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_IMAGE_INVALID', message, false, options)
  }
}

/** The image (or file) is larger than the configured limits: a decompression bomb or simply too big. */
export class ImageTooLargeError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_IMAGE_TOO_LARGE', message, false, options)
  }
}

/** A bus message is not one of ours (bad JSON, wrong shape). Retrying cannot help. */
export class MessageInvalidError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_MESSAGE_INVALID', message, false, options)
  }
}

/** A catalog row the caller named does not exist (unknown image id, alert number...). */
export class NotFoundError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_NOT_FOUND', message, false, options)
  }
}

/** The object store has no object at that key. */
export class ObjectNotFoundError extends ImgpipeError {
  readonly key: string
  constructor(key: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_OBJECT_NOT_FOUND', `no object at key "${key}"`, false, options)
    this.key = key
  }
}

/** An object whose bytes are not the ones its row recorded (content_sha256): replaced, truncated or swapped. */
export class ObjectMismatchError extends ImgpipeError {
  readonly key: string
  constructor(key: string, expectedSha256: string, actualSha256: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_OBJECT_MISMATCH', `object "${key}" has sha256 ${actualSha256}, its row recorded ${expectedSha256}`, false, options)
    this.key = key
  }
}

/** An object key that could escape the store (`..`, absolute path, control characters). */
export class ObjectKeyInvalidError extends ImgpipeError {
  constructor(key: string, reason: string) {
    super('IMGPIPE_OBJECT_KEY_INVALID', `invalid object key ${JSON.stringify(key)}: ${reason}`, false)
  }
}

/** The database did not answer or refused a connection; usually transient. */
export class CatalogUnavailableError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_CATALOG_UNAVAILABLE', message, true, options)
  }
}

/** A write broke a constraint in a way the idempotent paths do not absorb (e.g. a foreign key). */
export class CatalogConflictError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_CATALOG_CONFLICT', message, false, options)
  }
}

/** The object store did not answer or failed server-side; usually transient. */
export class StoreUnavailableError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_STORE_UNAVAILABLE', message, true, options)
  }
}

/** The broker did not answer, or a publish was not acknowledged; usually transient. */
export class BusUnavailableError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_BUS_UNAVAILABLE', message, true, options)
  }
}

/** A delivery channel could not hand an alert over. Retried: the alert stays undelivered until it succeeds. */
export class DeliveryFailedError extends ImgpipeError {
  /** The target's HTTP status or SMTP reply code, when it answered. */
  readonly responseCode: number | null
  /** How long the target asked us to wait (`Retry-After`). */
  readonly retryAfterMs: number | null

  constructor(message: string, options?: ImgpipeErrorOptions & { responseCode?: number; retryAfterMs?: number }) {
    super('IMGPIPE_DELIVERY_FAILED', message, true, options)
    this.responseCode = options?.responseCode ?? null
    this.retryAfterMs = options?.retryAfterMs ?? null
  }
}

/**
 * A programmer mistake: a function called with arguments its caller should never pass (the command line and
 * the settings are checked before they get there). Not retried: a bug does not get better by retrying.
 */
export class InternalError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_INTERNAL', message, false, options)
  }
}

/** The component was closed (shutdown in progress); the message in hand is not committed and comes back later. */
export class ClosedError extends ImgpipeError {
  constructor(what: string) {
    super('IMGPIPE_CLOSED', `${what} is closed`, false)
  }
}

/**
 * The one test of an error's kind: whether it is ours and, when `codes` are given, has one of them
 * (`isImgpipeError(error, 'IMGPIPE_NOT_FOUND')`). Codes rather than classes, since the code is the contract.
 */
export function isImgpipeError(error: unknown, ...codes: readonly ErrorCode[]): error is ImgpipeError {
  return error instanceof ImgpipeError && (codes.length === 0 || codes.includes(error.code))
}

/**
 * Wraps anything thrown into an ImgpipeError. Unknown errors are `IMGPIPE_INTERNAL` and not retryable:
 * a bug does not get better by retrying, and the worker loop must not spin on it forever.
 */
export function toImgpipeError(error: unknown): ImgpipeError {
  if (error instanceof ImgpipeError) return error
  return new InternalError(messageOf(error), { cause: error })
}

/**
 * A one-line reason for the user: the message and, for wrapped errors, the innermost cause, without saying
 * a part twice: `cannot read x: ENOENT` over Node's `ENOENT: no such file or directory, stat 'x'` reads
 * `cannot read x: ENOENT: no such file or directory`.
 */
export function describeError(error: unknown): string {
  const top = oneLine(messageOf(error))
  const causes = errorChain(error, { members: 'none', maxDepth: 5 }).slice(1)
  const innermost = causes.at(-1)
  const last = innermost === undefined ? undefined : oneLine(withoutKnownPath(messageOf(innermost), innermost, top))
  if (last === undefined || last === '' || top.includes(last)) return top
  if (top === '') return last
  const shared = overlap(top, last)
  return shared > 0 ? `${top}${last.slice(shared)}` : `${top}: ${last}`
}

/** Node's `…, stat '/x'` tail of a system error, dropped when the message above it names that path already. */
function withoutKnownPath(message: string, error: unknown, top: string): string {
  const { path, syscall } = (error ?? {}) as { path?: unknown; syscall?: unknown }
  if (typeof path !== 'string' || typeof syscall !== 'string' || !top.includes(path)) return message
  const tail = `, ${syscall} '${path}'`
  return message.endsWith(tail) ? message.slice(0, -tail.length) : message
}

/**
 * The length of the label (`ENOENT:`, `Error:`) that `last` starts with when `top` ends with those words
 * already (`…: ENOENT` + `ENOENT: …`); 0 otherwise, and for prose (`no data` + `data lost` stay apart).
 */
function overlap(top: string, last: string): number {
  const label = /^([^:]{2,}):/.exec(last)?.[1]
  if (label === undefined || !top.endsWith(label)) return 0
  const before = top.charAt(top.length - label.length - 1)
  return before === '' || /\W/.test(before) ? label.length : 0
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/**
 * An error's message; for an AggregateError without one (what Node's `net` throws when every address of
 * `localhost` refuses a connection), the messages of the errors it holds.
 */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  if (error.message === '' && error instanceof AggregateError && Array.isArray(error.errors)) {
    return (error.errors as unknown[])
      .slice(0, 3)
      .map((inner) => (inner instanceof Error ? inner.message : String(inner)))
      .join('; ')
  }
  return error.message
}

/**
 * A FITS header's world coordinate system cannot be used: a keyword it needs is missing or malformed, the
 * projection is one we do not implement, or the linear transformation is singular. The image itself may be fine.
 */
export class WcsInvalidError extends ImgpipeError {
  constructor(message: string, options?: ImgpipeErrorOptions) {
    super('IMGPIPE_WCS_INVALID', message, false, options)
  }
}

/**
 * Why a FITS file was refused: a stable reason beside the error's code, for logs, the catalog and tests.
 * FITS_TOO_LARGE, FITS_TOO_MANY_BLOCKS and FITS_GZIP_LIMIT are size limits (IMGPIPE_IMAGE_TOO_LARGE); the others
 * are malformed or unsupported files (IMGPIPE_IMAGE_INVALID).
 */
export type FitsErrorReason =
  | 'FITS_NOT_FITS'
  | 'FITS_NO_END'
  | 'FITS_NOT_ASCII'
  | 'FITS_TOO_MANY_BLOCKS'
  | 'FITS_BAD_HEADER'
  | 'FITS_BAD_AXIS'
  | 'FITS_TOO_LARGE'
  | 'FITS_TRUNCATED'
  | 'FITS_NO_IMAGE'
  | 'FITS_UNSUPPORTED'
  | 'FITS_BAD_TILE'
  | 'FITS_GZIP_LIMIT'
  | 'FITS_GZIP_CORRUPT'

const FITS_SIZE_REASONS: ReadonlySet<FitsErrorReason> = new Set(['FITS_TOO_LARGE', 'FITS_TOO_MANY_BLOCKS', 'FITS_GZIP_LIMIT'])

/** A FITS file we cannot or will not read; `reason` says why, the message (one line) says where. */
export class FitsError extends ImgpipeError {
  readonly reason: FitsErrorReason

  constructor(reason: FitsErrorReason, message: string, options?: ImgpipeErrorOptions) {
    super(FITS_SIZE_REASONS.has(reason) ? 'IMGPIPE_IMAGE_TOO_LARGE' : 'IMGPIPE_IMAGE_INVALID', `${reason}: ${message}`, false, options)
    this.reason = reason
  }
}
