import { describe, expect, it } from 'vitest'
import { classifyDriverError, toCatalogError } from '../../../src/adapters/sql/sql-errors.js'
import type { DriverError, DriverErrorClass } from '../../../src/adapters/sql/sql-errors.js'
import { CatalogConflictError, CatalogUnavailableError, ImgpipeError, NotFoundError } from '../../../src/core/errors.js'

/** A classifier that only knows one made-up code, so the generic rules are visible. */
function classify(error: DriverError): DriverErrorClass | null {
  if (error.code === 'X_DEADLOCK') return 'contention'
  if (error.code === 'X_FK') return 'conflict'
  if (error.code === 'X_AUTH') return 'refused'
  if (error.code === 'X_NO_TABLE') return 'no-schema'
  return null
}

function coded(code: string, message = `failure ${code}`): Error {
  return Object.assign(new Error(message), { code })
}

describe('classifyDriverError', () => {
  it("treats Node's network errors as transient whatever the driver", () => {
    expect(classifyDriverError(coded('ECONNREFUSED'), classify)).toBe('transient')
    expect(classifyDriverError(coded('ETIMEDOUT'), classify)).toBe('transient')
  })

  it('treats TLS verification failures as refused', () => {
    expect(classifyDriverError(coded('DEPTH_ZERO_SELF_SIGNED_CERT'), classify)).toBe('refused')
  })

  it('looks inside AggregateError and cause chains', () => {
    const aggregate = new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'connect failed')
    expect(classifyDriverError(aggregate, classify)).toBe('transient')
    expect(classifyDriverError(new Error('wrapped', { cause: coded('X_FK') }), classify)).toBe('conflict')
    expect(classifyDriverError(new Error('plain'), classify)).toBeNull()
    expect(classifyDriverError('a string', classify)).toBeNull()
  })
})

describe('toCatalogError', () => {
  it('maps each class to the error classes of core/errors, keeping the driver error as cause', () => {
    const deadlock = coded('X_DEADLOCK')
    const transient = toCatalogError(deadlock, classify, 'catalog insertImage (test)')
    expect(transient).toBeInstanceOf(CatalogUnavailableError)
    expect(transient.canRetry).toBe(true)
    expect(transient.cause).toBe(deadlock)
    expect(transient.message).toBe('catalog insertImage (test): database unavailable: failure X_DEADLOCK')

    const refused = toCatalogError(coded('X_AUTH'), classify, 'ctx')
    expect(refused).toBeInstanceOf(CatalogUnavailableError)
    expect(refused.canRetry).toBe(false)

    const noSchema = toCatalogError(coded('X_NO_TABLE'), classify, 'ctx')
    expect(noSchema).toBeInstanceOf(CatalogUnavailableError)
    expect(noSchema.canRetry).toBe(false)
    expect(noSchema.message).toMatch(/migrate/)

    const conflict = toCatalogError(coded('X_FK'), classify, 'ctx')
    expect(conflict).toBeInstanceOf(CatalogConflictError)
    expect(conflict.canRetry).toBe(false)
  })

  it('passes our own errors through and makes unknown ones non-retryable internal errors', () => {
    const ours = new NotFoundError('no image 3')
    expect(toCatalogError(ours, classify, 'ctx')).toBe(ours)
    const bug = toCatalogError(coded('X_SYNTAX'), classify, 'ctx')
    expect(bug).toBeInstanceOf(ImgpipeError)
    expect(bug.code).toBe('IMGPIPE_INTERNAL')
    expect(bug.canRetry).toBe(false)
  })
})
