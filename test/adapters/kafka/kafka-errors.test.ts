import { MultipleErrors, NetworkError, ProtocolError, ResponseError, TimeoutError, UserError } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { describeKafkaError, hasKafkaApiError, isPermanentKafkaError, toBusError } from '../../../src/adapters/kafka/kafka-errors.js'
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
    for (const id of ['REBALANCE_IN_PROGRESS', 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'BROKER_NOT_AVAILABLE']) {
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
