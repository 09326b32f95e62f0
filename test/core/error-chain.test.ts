import { describe, expect, it } from 'vitest'
import { errorChain, errorCode, errorCodeKind, isTlsFailureCode, isTransientCode } from '../../src/core/error-chain.js'

function coded(code: string, message = code, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code })
}

describe('errorChain', () => {
  const refusedV6 = coded('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432')
  const refusedV4 = coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')
  const aggregate = new AggregateError([refusedV6, refusedV4], '')
  const top = new Error('query failed', { cause: aggregate })

  it('walks members and causes, outermost first', () => {
    expect(errorChain(top)).toEqual([top, aggregate, refusedV6, refusedV4])
    expect(errorChain(top, { members: 'last' })).toEqual([top, aggregate, refusedV4])
    expect(errorChain(top, { members: 'none' })).toEqual([top, aggregate])
  })

  it('stops at loops, at its depth and at values that wrap nothing', () => {
    const looped = new Error('a')
    looped.cause = new Error('b', { cause: looped })
    expect(errorChain(looped)).toHaveLength(2)
    let deep: Error = new Error('0')
    for (let index = 1; index <= 20; index += 1) deep = new Error(String(index), { cause: deep })
    expect(errorChain(deep, { maxDepth: 3 })).toHaveLength(4)
    expect(errorChain(new Error('x', { cause: 'a string' }))).toEqual([expect.any(Error), 'a string'])
    expect(errorChain(undefined)).toEqual([])
  })
})

describe('the code table', () => {
  it('reads codes only when they are strings', () => {
    expect(errorCode(coded('EPIPE'))).toBe('EPIPE')
    expect(errorCode(Object.assign(new Error('x'), { code: 1045 }))).toBeUndefined()
    expect(errorCode('ECONNRESET')).toBeUndefined()
  })

  it('tells passing failures from TLS that no retry fixes', () => {
    expect(errorCodeKind('ECONNREFUSED')).toBe('network')
    expect(errorCodeKind('ERR_STREAM_PREMATURE_CLOSE')).toBe('network')
    expect(errorCodeKind('EMFILE')).toBe('transient-file')
    expect(errorCodeKind('DEPTH_ZERO_SELF_SIGNED_CERT')).toBe('tls-certificate')
    expect(errorCodeKind('ERR_TLS_CERT_ALTNAME_INVALID')).toBe('tls-certificate')
    expect(errorCodeKind('ERR_SSL_WRONG_VERSION_NUMBER')).toBe('tls-handshake')
    expect(errorCodeKind('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')).toBe('tls-handshake')
    expect(errorCodeKind('HANDSHAKE_NO_SSL_SUPPORT')).toBe('tls-handshake')
    expect(errorCodeKind('ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC')).toBeNull()
    expect(errorCodeKind('ENOENT')).toBeNull()
    expect(errorCodeKind(undefined)).toBeNull()
    expect(isTransientCode('ETIMEDOUT')).toBe(true)
    expect(isTransientCode('ENOSPC')).toBe(false)
    expect(isTlsFailureCode('CERT_HAS_EXPIRED')).toBe(true)
    expect(isTlsFailureCode('ECONNRESET')).toBe(false)
  })
})
