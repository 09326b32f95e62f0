/**
 * Maps @platformatic/kafka errors to the pipeline's errors.
 *
 * Client calls used: none; reads the library's error fields only (`code`, `canRetry`, `apiId`, `closed`,
 * the `errors` of its MultipleErrors and the `cause` chain).
 *
 * The library calls some failures final that are transient for a long-running stage: its client-side request
 * timeout, group errors that a rejoin fixes, producer-sequence errors that a fresh producer fixes (KafkaBus
 * replaces its producer after a failed send), a broker that is restarting. So retryability is decided here:
 * permanent are only misuse (`PLT_KFK_USER`), authentication, unsupported features, and the broker answers
 * that stay final (authorization, message too large, invalid topic, offset out of range...).
 */
import { BusUnavailableError, ImgpipeError } from '../../core/errors.js'

const PERMANENT_CODES = new Set([
  'PLT_KFK_USER',
  'PLT_KFK_AUTHENTICATION',
  'PLT_KFK_UNSUPPORTED_API',
  'PLT_KFK_UNSUPPORTED_COMPRESSION',
  'PLT_KFK_UNSUPPORTED_FORMAT',
  'PLT_KFK_UNSUPPORTED',
])

/** Broker answers the library does not retry, but that a retry with a new stream, member or producer resolves. */
const TRANSIENT_API_ERRORS = new Set([
  'UNKNOWN_SERVER_ERROR',
  'BROKER_NOT_AVAILABLE',
  'STALE_CONTROLLER_EPOCH',
  'STALE_BROKER_EPOCH',
  'NEW_LEADER_ELECTED',
  'REASSIGNMENT_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'MEMBER_ID_REQUIRED',
  'REBALANCE_IN_PROGRESS',
  'FENCED_MEMBER_EPOCH',
  'STALE_MEMBER_EPOCH',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
  'PRODUCER_FENCED',
])

interface ErrorFields {
  code?: unknown
  canRetry?: unknown
  apiId?: unknown
  errors?: unknown
  cause?: unknown
  message?: unknown
}

/** Every error in the chain: the error, the members of aggregates, and causes (bounded, cycles ignored). */
function chain(error: unknown): ErrorFields[] {
  const seen = new Set<unknown>()
  const result: ErrorFields[] = []
  const visit = (node: unknown, depth: number): void => {
    if (node === null || typeof node !== 'object' || seen.has(node) || depth > 8) return
    seen.add(node)
    const fields = node as ErrorFields
    result.push(fields)
    if (Array.isArray(fields.errors)) for (const inner of fields.errors) visit(inner, depth + 1)
    visit(fields.cause, depth + 1)
  }
  visit(error, 0)
  return result
}

/** True when retrying cannot help: bad input, authentication or authorization, unsupported broker. */
export function isPermanentKafkaError(error: unknown): boolean {
  if (error instanceof ImgpipeError) return !error.canRetry
  return chain(error).some(
    (node) =>
      (typeof node.code === 'string' && PERMANENT_CODES.has(node.code)) ||
      (node.code === 'PLT_KFK_PROTOCOL' &&
        node.canRetry === false &&
        !(typeof node.apiId === 'string' && TRANSIENT_API_ERRORS.has(node.apiId))),
  )
}

/** True when the broker (or the library) reported this protocol error id anywhere in the chain. */
export function hasKafkaApiError(error: unknown, apiId: string): boolean {
  return chain(error).some((node) => node.apiId === apiId)
}

/**
 * One line for logs and error messages. The library's retry wrapper says only "produce failed 4 times.",
 * so the last attempt's reason is appended, down to the innermost cause (e.g. ECONNREFUSED).
 */
export function describeKafkaError(error: unknown): string {
  const parts: string[] = []
  let node: unknown = error
  for (let depth = 0; depth < 6 && node !== null && node !== undefined; depth += 1) {
    const fields = node as ErrorFields
    const message = typeof fields.message === 'string' ? fields.message : String(node)
    if (message !== '' && !parts.includes(message)) parts.push(message)
    node = Array.isArray(fields.errors) && fields.errors.length > 0 ? fields.errors[fields.errors.length - 1] : fields.cause
  }
  return parts.join(': ').replace(/\s+/g, ' ').trim()
}

/** Wraps a client error as BusUnavailableError (retryable unless permanent) with the client error as cause. */
export function toBusError(action: string, error: unknown): ImgpipeError {
  if (error instanceof ImgpipeError) return error
  return new BusUnavailableError(`Kafka ${action} failed: ${describeKafkaError(error)}`, {
    cause: error,
    canRetry: !isPermanentKafkaError(error),
  })
}
