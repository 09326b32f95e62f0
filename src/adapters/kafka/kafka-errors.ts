/**
 * Maps @platformatic/kafka errors to the pipeline's errors.
 *
 * Client calls used: none; reads the library's error fields only (`code`, `canRetry`, `apiId`, `closed`,
 * the `errors` of its MultipleErrors and the `cause` chain).
 *
 * The library calls some failures final that are transient for a long-running stage: its client-side request
 * timeout, group errors that a rejoin fixes, producer-sequence errors that a fresh producer fixes (KafkaBus
 * replaces its producer after a failed send), a broker that is restarting. So retryability is decided here:
 * permanent are only misuse (`PLT_KFK_USER`), authentication, unsupported features, the broker answers
 * that stay final (authorization, message too large, invalid topic, offset out of range...), and TLS that
 * cannot work: a certificate that fails verification, or a handshake the server refused.
 *
 * Security failures get a hint naming the setting to check. The library wraps a refused login in a retryable
 * NetworkError (and a certificate error is a plain Node error), so it retries them a few times itself; the
 * bus does not retry them again.
 */
import { errorChain, errorCode, errorCodeKind, isTlsFailureCode } from '../../core/error-chain.js'
import { BusUnavailableError, isImgpipeError } from '../../core/errors.js'
import type { ImgpipeError } from '../../core/errors.js'
import type { KafkaClientConnection } from './kafka-connection.js'
import { KAFKA_SECURITY_VARIABLES } from './kafka-options.js'

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
  return errorChain(error).filter((node): node is ErrorFields => typeof node === 'object')
}

/** True when retrying cannot help: bad input, authentication or authorization, unsupported broker. */
export function isPermanentKafkaError(error: unknown): boolean {
  if (isImgpipeError(error)) return !error.canRetry
  return chain(error).some(
    (node) =>
      (typeof node.code === 'string' && PERMANENT_CODES.has(node.code)) ||
      isTlsFailureCode(errorCode(node)) ||
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
  for (const node of errorChain(error, { members: 'last', maxDepth: 5 })) {
    const fields = (typeof node === 'object' ? node : {}) as ErrorFields
    const message = typeof fields.message === 'string' ? fields.message : String(node)
    if (message !== '' && !parts.includes(message)) parts.push(message)
  }
  return parts.join(': ').replace(/\s+/g, ' ').trim()
}

const SASL_VARIABLES = `${KAFKA_SECURITY_VARIABLES.saslMechanism}, ${KAFKA_SECURITY_VARIABLES.saslUsername} and ${KAFKA_SECURITY_VARIABLES.saslPassword}`

/**
 * What to check, when the failure says it: refused credentials, a listener that speaks another protocol, a
 * certificate that is not trusted. `connection` (what the client was configured with) makes the advice for
 * a connection the broker just closes specific; without it there is none, as such a close is also what a
 * restarting broker does.
 */
export function kafkaSecurityHint(error: unknown, connection?: KafkaClientConnection): string | null {
  const nodes = chain(error)
  const apiIds = new Set(nodes.map((node) => node.apiId))
  const messages = nodes.map((node) => (typeof node.message === 'string' ? node.message : ''))
  if (apiIds.has('SASL_AUTHENTICATION_FAILED') || messages.includes('SASL authentication failed.')) {
    return `the broker rejected the SASL login: check ${SASL_VARIABLES}`
  }
  if (apiIds.has('UNSUPPORTED_SASL_MECHANISM')) {
    return `the broker does not offer this SASL mechanism: check ${KAFKA_SECURITY_VARIABLES.saslMechanism}`
  }
  if (apiIds.has('ILLEGAL_SASL_STATE')) {
    return `this listener does not use SASL: connect to the broker's SASL port, or unset ${KAFKA_SECURITY_VARIABLES.saslMechanism}`
  }
  const tlsCode = nodes.map(errorCode).find(isTlsFailureCode)
  if (tlsCode === 'ERR_TLS_CERT_ALTNAME_INVALID' || tlsCode === 'HOSTNAME_MISMATCH') {
    return `the broker's TLS certificate is not for the host connected to (${tlsCode}): use the broker name its certificate holds`
  }
  if (errorCodeKind(tlsCode) === 'tls-certificate') {
    return `the broker's TLS certificate was not accepted (${tlsCode}): if a private CA signed it, set ${KAFKA_SECURITY_VARIABLES.caFile} to that CA's PEM file (or NODE_EXTRA_CA_CERTS)`
  }
  if (tlsCode !== undefined || messages.some((message) => message.startsWith('TLS handshake failed'))) {
    return `no TLS handshake with this port${tlsCode === undefined ? '' : ` (${tlsCode})`}: kafkas:// needs a TLS (SSL or SASL_SSL) listener, kafka:// is for PLAINTEXT and SASL_PLAINTEXT ones`
  }
  if (connection !== undefined && messages.some((message) => message.startsWith('Connection closed'))) {
    const missing = [
      ...(connection.tls === undefined ? ['TLS (kafkas://)'] : []),
      ...(connection.sasl === undefined ? ['SASL (IMGPIPE_KAFKA_SASL_*)'] : []),
    ]
    if (missing.length > 0) return `the broker closed the connection: does this listener need ${missing.join(' or ')}?`
  }
  return null
}

/**
 * Wraps a client error as BusUnavailableError (retryable unless permanent) with the client error as cause; a
 * security hint, when there is one, comes first.
 */
export function toBusError(action: string, error: unknown, connection?: KafkaClientConnection): ImgpipeError {
  if (isImgpipeError(error)) return error
  const hint = kafkaSecurityHint(error, connection)
  return new BusUnavailableError(`Kafka ${action} failed: ${hint === null ? '' : `${hint}: `}${describeKafkaError(error)}`, {
    cause: error,
    canRetry: !isPermanentKafkaError(error),
  })
}
