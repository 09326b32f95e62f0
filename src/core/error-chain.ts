/**
 * Walking what an error wraps, and what Node's error codes mean: one place for every adapter (SQL drivers,
 * S3, Kafka, the file system) and for `describeError`, so that they agree on which failures are worth a
 * retry and which are a configuration to fix.
 */

/** How {@link errorChain} goes on from an error that holds others (an `AggregateError`, a library's `errors` array). */
export type ErrorMembers = 'all' | 'last' | 'none'

export interface ErrorChainOptions {
  /**
   * `all` (default): every member, then the `cause`; `last`: only the last member (the last attempt of a retry
   * wrapper), or the `cause` when there are none; `none`: only the `cause`.
   */
  members?: ErrorMembers
  /** How many links deep to go (default 8); the chain is also cut where it loops. */
  maxDepth?: number
}

/**
 * The error and everything it wraps, depth first, outermost first: members of aggregates and `cause`s
 * (Node's `net` throws an AggregateError per address; drivers and clients set `cause`). Values that are not
 * objects (a thrown string) end their branch but are included.
 */
export function errorChain(error: unknown, options: ErrorChainOptions = {}): unknown[] {
  const members = options.members ?? 'all'
  const maxDepth = options.maxDepth ?? 8
  const seen = new Set<unknown>()
  const chain: unknown[] = []
  const visit = (node: unknown, depth: number): void => {
    if (node === null || node === undefined || depth > maxDepth || seen.has(node)) return
    seen.add(node)
    chain.push(node)
    if (typeof node !== 'object') return
    const { errors, cause } = node as { errors?: unknown; cause?: unknown }
    const inner = Array.isArray(errors) ? (errors as unknown[]) : []
    if (members === 'all') for (const member of inner) visit(member, depth + 1)
    if (members === 'last' && inner.length > 0) visit(inner[inner.length - 1], depth + 1)
    else visit(cause, depth + 1)
  }
  visit(error, 0)
  return chain
}

/** An error's `code` when it is a string (Node's errno names, drivers' and clients' codes), else undefined. */
export function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

/**
 * Node's network error codes: the server is not reachable (yet), or the connection broke; always worth a
 * retry. (`ERR_STREAM_PREMATURE_CLOSE`: a response body cut off by a dropped connection.)
 */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
])

/** File-system failures that pass: too many open files, a busy or stale file, an interrupted or failed read. */
const TRANSIENT_FILE_CODES: ReadonlySet<string> = new Set([
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'EINTR',
  'EIO',
  'ETIMEDOUT',
  'ESTALE',
  'ENOMEM',
])

/**
 * Node's codes for a certificate that fails verification: OpenSSL's X509_V_ERR_* names and the host-name
 * check. None of them changes on retry.
 */
const TLS_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** mysql2's names for a server without TLS and a failed handshake. */
const DRIVER_HANDSHAKE_CODES: ReadonlySet<string> = new Set(['HANDSHAKE_NO_SSL_SUPPORT', 'HANDSHAKE_SSL_ERROR'])

export type ErrorCodeKind = 'network' | 'transient-file' | 'tls-certificate' | 'tls-handshake'

/**
 * What a code says about the failure: `network` and `transient-file` pass with time; a TLS certificate that
 * is not accepted, or a handshake the server refused or cannot do (it does not speak TLS:
 * `ERR_SSL_WRONG_VERSION_NUMBER`; it answered with an alert, e.g. it wants a client certificate), do not.
 * Other codes (and other `ERR_SSL_*` such as a bad record MAC, a corrupted connection) are null.
 */
export function errorCodeKind(code: string | undefined): ErrorCodeKind | null {
  if (code === undefined) return null
  if (NETWORK_CODES.has(code)) return 'network'
  if (TRANSIENT_FILE_CODES.has(code)) return 'transient-file'
  if (TLS_CERTIFICATE_CODES.has(code)) return 'tls-certificate'
  if (DRIVER_HANDSHAKE_CODES.has(code) || code === 'ERR_SSL_WRONG_VERSION_NUMBER') return 'tls-handshake'
  if (code.startsWith('ERR_SSL_') && code.includes('ALERT')) return 'tls-handshake'
  return null
}

/** A TLS failure that no retry fixes (see {@link errorCodeKind}). */
export function isTlsFailureCode(code: string | undefined): code is string {
  const kind = errorCodeKind(code)
  return kind === 'tls-certificate' || kind === 'tls-handshake'
}

/** A failure that passes with time: the network, or a busy file system (see {@link errorCodeKind}). */
export function isTransientCode(code: string | undefined): code is string {
  const kind = errorCodeKind(code)
  return kind === 'network' || kind === 'transient-file'
}
