import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  ResponseError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { kafkaClientConnection } from '../../../src/adapters/kafka/kafka-connection.js'
import {
  describeKafkaError,
  hasKafkaApiError,
  isPermanentKafkaError,
  kafkaSecurityHint,
  toBusError,
} from '../../../src/adapters/kafka/kafka-errors.js'
import { BusUnavailableError, ClosedError } from '../../../src/core/errors.js'

const refused = new NetworkError('Connection to 127.0.0.1:19092 failed.', { cause: new Error('connect ECONNREFUSED 127.0.0.1:19092') })

describe('isPermanentKafkaError', () => {
  it('treats a broker that does not answer, or answers slowly, as transient', () => {
    expect(isPermanentKafkaError(refused)).toBe(false)
    expect(isPermanentKafkaError(new MultipleErrors('produce failed 4 times.', [refused, refused]))).toBe(false)
    expect(isPermanentKafkaError(new TimeoutError('Request timed out.'))).toBe(false)
    expect(isPermanentKafkaError(new ProtocolError('NOT_COORDINATOR'))).toBe(false)
  })

  it('treats group and producer-sequence errors the library calls final as transient', () => {
    for (const id of [
      'REBALANCE_IN_PROGRESS',
      'UNKNOWN_MEMBER_ID',
      'ILLEGAL_GENERATION',
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
      'BROKER_NOT_AVAILABLE',
    ]) {
      expect(new ProtocolError(id).canRetry, `${id} is final for the library`).toBe(false)
      expect(isPermanentKafkaError(new ProtocolError(id)), id).toBe(false)
    }
  })

  it('treats misuse, authorization and oversized messages as permanent, also inside aggregates', () => {
    expect(isPermanentKafkaError(new UserError('Unknown topic x.'))).toBe(true)
    expect(isPermanentKafkaError(new ProtocolError('TOPIC_AUTHORIZATION_FAILED'))).toBe(true)
    expect(isPermanentKafkaError(new ResponseError(0, 9, { '/topics/0/partitions/0': [10, 'too large'] }, {}))).toBe(true)
    expect(isPermanentKafkaError(new MultipleErrors('x failed 2 times.', [refused, new ProtocolError('MESSAGE_TOO_LARGE')]))).toBe(true)
    expect(isPermanentKafkaError(new ClosedError('Kafka bus'))).toBe(true)
    expect(isPermanentKafkaError(new BusUnavailableError('down'))).toBe(false)
  })
})

describe('hasKafkaApiError', () => {
  it('finds a broker error id inside a response error', () => {
    const exists = new ResponseError(19, 7, { '/topics/0': [36, "Topic 'x' already exists."] }, {})
    expect(hasKafkaApiError(exists, 'TOPIC_ALREADY_EXISTS')).toBe(true)
    expect(hasKafkaApiError(refused, 'TOPIC_ALREADY_EXISTS')).toBe(false)
  })
})

describe('toBusError and describeKafkaError', () => {
  it('wraps with the client error as cause, the innermost reason in the message, and retryability', () => {
    const error = new MultipleErrors('produce failed 3 times.', [refused, refused, refused])
    const wrapped = toBusError('publish to t', error)
    expect(wrapped).toBeInstanceOf(BusUnavailableError)
    expect(wrapped.code).toBe('IMGPIPE_BUS_UNAVAILABLE')
    expect(wrapped.canRetry).toBe(true)
    expect(wrapped.cause).toBe(error)
    expect(wrapped.message).toBe(
      'Kafka publish to t failed: produce failed 3 times.: Connection to 127.0.0.1:19092 failed.: connect ECONNREFUSED 127.0.0.1:19092',
    )
    expect(toBusError('publish', new UserError('bad')).canRetry).toBe(false)
  })

  it('passes the pipeline’s own errors through unchanged', () => {
    const closed = new ClosedError('Kafka bus')
    expect(toBusError('publish', closed)).toBe(closed)
  })

  it('describes non-errors too', () => {
    expect(describeKafkaError('plain')).toBe('plain')
  })
})

/** A Node error as the TLS layer raises it: a message and an OpenSSL-style code. */
function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code })
}

/** The shape the library gives a failed connection: retries around a NetworkError around the reason. */
function failedConnection(reason: Error): MultipleErrors {
  const network = new NetworkError('Connection to b-1.example:9096 failed.', { cause: reason })
  return new MultipleErrors('metadata failed 3 times.', [network, network, network])
}

describe('TLS and SASL failures', () => {
  const saslRejected = failedConnection(
    new AuthenticationError('SASL authentication failed.', {
      cause: new ResponseError(36, 2, { '': [58, 'Authentication failed: Invalid username or password'] }, {}),
    }),
  )
  const untrusted = failedConnection(nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'))
  const wrongName = failedConnection(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"))
  const expired = failedConnection(nodeError('CERT_HAS_EXPIRED', 'certificate has expired'))
  const notTls = failedConnection(
    new UserError('TLS handshake failed. Please verify the broker supports TLS.', {
      cause: nodeError('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established'),
    }),
  )
  const alert = failedConnection(nodeError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required'))
  const closed = new MultipleErrors('metadata failed 3 times.', [
    new NetworkError('Connection closed'),
    new NetworkError('Connection closed'),
  ])

  it('makes a refused login, an untrusted certificate and a refused handshake permanent, also when wrapped in retryable errors', () => {
    for (const error of [saslRejected, untrusted, wrongName, expired, notTls, alert]) {
      expect(isPermanentKafkaError(error), describeKafkaError(error)).toBe(true)
      expect(toBusError('ping', error).canRetry).toBe(false)
    }
  })

  it('keeps a connection the broker closes, or resets after the handshake, retryable: a restarting broker does the same', () => {
    expect(isPermanentKafkaError(closed)).toBe(false)
    expect(isPermanentKafkaError(failedConnection(nodeError('ECONNRESET', 'read ECONNRESET')))).toBe(false)
    expect(isPermanentKafkaError(failedConnection(nodeError('ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC', 'bad record mac')))).toBe(false)
  })

  it('says what to check, first, and keeps the client error as cause', () => {
    const wrapped = toBusError('metadata request (ping)', saslRejected)
    expect(wrapped).toBeInstanceOf(BusUnavailableError)
    expect(wrapped.cause).toBe(saslRejected)
    expect(wrapped.message).toMatch(
      /^Kafka metadata request \(ping\) failed: the broker rejected the SASL login: check IMGPIPE_KAFKA_SASL_MECHANISM, IMGPIPE_KAFKA_SASL_USERNAME and IMGPIPE_KAFKA_SASL_PASSWORD: metadata failed 3 times\./,
    )
    expect(toBusError('ping', untrusted).message).toContain(
      "the broker's TLS certificate was not accepted (SELF_SIGNED_CERT_IN_CHAIN): if a private CA signed it, set IMGPIPE_KAFKA_CA_FILE",
    )
    expect(toBusError('ping', expired).message).toContain("the broker's TLS certificate was not accepted (CERT_HAS_EXPIRED)")
    expect(toBusError('ping', wrongName).message).toContain(
      "the broker's TLS certificate is not for the host connected to (ERR_TLS_CERT_ALTNAME_INVALID)",
    )
    expect(toBusError('ping', notTls).message).toContain(
      'no TLS handshake with this port: kafkas:// needs a TLS (SSL or SASL_SSL) listener',
    )
    expect(toBusError('ping', alert).message).toContain('no TLS handshake with this port (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)')
  })

  it('names the SASL mechanism when the broker does not offer it, or the listener has no SASL', () => {
    const unsupported = failedConnection(
      new AuthenticationError('Cannot find a suitable SASL mechanism.', { cause: new ResponseError(17, 1, { '': [33, null] }, {}) }),
    )
    expect(isPermanentKafkaError(unsupported)).toBe(true)
    expect(kafkaSecurityHint(unsupported)).toBe('the broker does not offer this SASL mechanism: check IMGPIPE_KAFKA_SASL_MECHANISM')
    const noSasl = failedConnection(
      new AuthenticationError('Cannot find a suitable SASL mechanism.', { cause: new ResponseError(17, 1, { '': [34, null] }, {}) }),
    )
    expect(kafkaSecurityHint(noSasl)).toMatch(/^this listener does not use SASL: .*IMGPIPE_KAFKA_SASL_MECHANISM$/)
  })

  it('asks about TLS and SASL for a closed connection only when the client was configured without them', () => {
    expect(kafkaSecurityHint(closed)).toBeNull()
    expect(kafkaSecurityHint(closed, kafkaClientConnection({ brokers: ['h:1'] }))).toBe(
      'the broker closed the connection: does this listener need TLS (kafkas://) or SASL (IMGPIPE_KAFKA_SASL_*)?',
    )
    const saslOnly = kafkaClientConnection({ brokers: ['h:1'], sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } })
    expect(kafkaSecurityHint(closed, saslOnly)).toBe('the broker closed the connection: does this listener need TLS (kafkas://)?')
    const both = kafkaClientConnection({ brokers: ['h:1'], tls: {}, sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } })
    expect(kafkaSecurityHint(closed, both)).toBeNull()
    expect(toBusError('ping', refused, both).message).not.toContain('TLS')
  })
})
