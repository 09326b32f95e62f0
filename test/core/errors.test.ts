import { describe, it, expect } from 'vitest'
import {
  BusUnavailableError,
  CatalogConflictError,
  CatalogUnavailableError,
  ClosedError,
  ConfigError,
  DeliveryFailedError,
  describeError,
  ImageTooLargeError,
  ImgpipeError,
  InternalError,
  InvalidImageError,
  isImgpipeError,
  MessageInvalidError,
  NotFoundError,
  ObjectKeyInvalidError,
  ObjectNotFoundError,
  StoreUnavailableError,
  toImgpipeError,
  UsageError,
  type ErrorCode,
  type ImgpipeErrorOptions,
} from '../../src/core/errors.js'

type MessageErrorClass = new (message: string, options?: ImgpipeErrorOptions) => ImgpipeError

const messageClasses: Array<[MessageErrorClass, ErrorCode, boolean]> = [
  [ConfigError, 'IMGPIPE_CONFIG_INVALID', false],
  [UsageError, 'IMGPIPE_USAGE', false],
  [InvalidImageError, 'IMGPIPE_IMAGE_INVALID', false],
  [ImageTooLargeError, 'IMGPIPE_IMAGE_TOO_LARGE', false],
  [MessageInvalidError, 'IMGPIPE_MESSAGE_INVALID', false],
  [NotFoundError, 'IMGPIPE_NOT_FOUND', false],
  [CatalogUnavailableError, 'IMGPIPE_CATALOG_UNAVAILABLE', true],
  [CatalogConflictError, 'IMGPIPE_CATALOG_CONFLICT', false],
  [StoreUnavailableError, 'IMGPIPE_STORE_UNAVAILABLE', true],
  [BusUnavailableError, 'IMGPIPE_BUS_UNAVAILABLE', true],
  [DeliveryFailedError, 'IMGPIPE_DELIVERY_FAILED', true],
  [InternalError, 'IMGPIPE_INTERNAL', false],
]

describe('error classes', () => {
  for (const [ErrorClass, code, canRetry] of messageClasses) {
    describe(ErrorClass.name, () => {
      it(`has code ${code} and canRetry ${canRetry} by default`, () => {
        const error = new ErrorClass('something happened')
        expect(error).toBeInstanceOf(ErrorClass)
        expect(error).toBeInstanceOf(ImgpipeError)
        expect(error).toBeInstanceOf(Error)
        expect(error.code).toBe(code)
        expect(error.canRetry).toBe(canRetry)
        expect(error.message).toBe('something happened')
        expect(error.name).toBe(ErrorClass.name)
        expect(isImgpipeError(error)).toBe(true)
        expect(error.cause).toBeUndefined()
        expect('cause' in error).toBe(false)
      })

      it('lets canRetry be overridden either way', () => {
        expect(new ErrorClass('x', { canRetry: !canRetry }).canRetry).toBe(!canRetry)
        expect(new ErrorClass('x', { canRetry }).canRetry).toBe(canRetry)
      })

      it('keeps the cause', () => {
        const cause = new Error('low-level failure')
        const error = new ErrorClass('wrapped', { cause })
        expect(error.cause).toBe(cause)
        expect(error.code).toBe(code)
        expect(error.canRetry).toBe(canRetry)
      })
    })
  }

  it('ObjectNotFoundError names the key, keeps it, is not retryable, keeps its cause', () => {
    const cause = new Error('ENOENT')
    const error = new ObjectNotFoundError('image/mock/image_00001.jpg', { cause })
    expect(error.code).toBe('IMGPIPE_OBJECT_NOT_FOUND')
    expect(error.canRetry).toBe(false)
    expect(error.key).toBe('image/mock/image_00001.jpg')
    expect(error.message).toContain('image/mock/image_00001.jpg')
    expect(error.cause).toBe(cause)
    expect(error.name).toBe('ObjectNotFoundError')
    expect(new ObjectNotFoundError('k', { canRetry: true }).canRetry).toBe(true)
  })

  it('ObjectKeyInvalidError quotes the key and gives the reason; not retryable', () => {
    const error = new ObjectKeyInvalidError('../etc/passwd', 'has a ".." segment')
    expect(error.code).toBe('IMGPIPE_OBJECT_KEY_INVALID')
    expect(error.canRetry).toBe(false)
    expect(error.message).toBe('invalid object key "../etc/passwd": has a ".." segment')
    expect(error.name).toBe('ObjectKeyInvalidError')
  })

  it('ClosedError says what is closed; not retryable', () => {
    const error = new ClosedError('the catalog')
    expect(error.code).toBe('IMGPIPE_CLOSED')
    expect(error.canRetry).toBe(false)
    expect(error.message).toBe('the catalog is closed')
    expect(error.name).toBe('ClosedError')
  })

  it('the base class takes its default from the constructor and the override from options', () => {
    expect(new ImgpipeError('IMGPIPE_INTERNAL', 'm', true).canRetry).toBe(true)
    expect(new ImgpipeError('IMGPIPE_INTERNAL', 'm', true, { canRetry: false }).canRetry).toBe(false)
    expect(new ImgpipeError('IMGPIPE_INTERNAL', 'm', false).name).toBe('ImgpipeError')
  })

  it('isImgpipeError is false for other values', () => {
    expect(isImgpipeError(new Error('x'))).toBe(false)
    expect(isImgpipeError({ code: 'IMGPIPE_INTERNAL', canRetry: true, message: 'x' })).toBe(false)
    expect(isImgpipeError(undefined)).toBe(false)
    expect(isImgpipeError('IMGPIPE_INTERNAL')).toBe(false)
  })
})

describe('toImgpipeError', () => {
  it('returns an ImgpipeError unchanged', () => {
    const error = new StoreUnavailableError('down')
    expect(toImgpipeError(error)).toBe(error)
  })

  it('wraps an unknown Error as IMGPIPE_INTERNAL, not retryable, keeping it as the cause', () => {
    const original = new TypeError('x is not a function')
    const wrapped = toImgpipeError(original)
    expect(wrapped).toBeInstanceOf(ImgpipeError)
    expect(wrapped.code).toBe('IMGPIPE_INTERNAL')
    expect(wrapped.canRetry).toBe(false)
    expect(wrapped.message).toBe('x is not a function')
    expect(wrapped.cause).toBe(original)
  })

  it('does not trust a foreign canRetry property', () => {
    const foreign = Object.assign(new Error('broker said retry'), { canRetry: true, code: 'SOMETHING' })
    const wrapped = toImgpipeError(foreign)
    expect(wrapped.canRetry).toBe(false)
    expect(wrapped.code).toBe('IMGPIPE_INTERNAL')
  })

  it.each([
    ['a string', 'boom', 'boom'],
    ['a number', 42, '42'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
  ])('wraps %s thrown as IMGPIPE_INTERNAL', (_label, thrown, message) => {
    const wrapped = toImgpipeError(thrown)
    expect(wrapped.code).toBe('IMGPIPE_INTERNAL')
    expect(wrapped.canRetry).toBe(false)
    expect(wrapped.message).toBe(message)
  })
})

describe('describeError', () => {
  it('gives the message of an error without a cause', () => {
    expect(describeError(new NotFoundError('no image 7'))).toBe('no image 7')
  })

  it('adds the innermost cause, not the intermediate ones', () => {
    const innermost = new Error('connect ECONNREFUSED 127.0.0.1:3306')
    const middle = new Error('pool failed', { cause: innermost })
    const top = new CatalogUnavailableError('catalog unavailable', { cause: middle })
    expect(describeError(top)).toBe('catalog unavailable: connect ECONNREFUSED 127.0.0.1:3306')
  })

  it('does not repeat a cause the message already contains', () => {
    const wrapped = toImgpipeError(new Error('disk full'))
    expect(describeError(wrapped)).toBe('disk full')
  })

  it('uses a non-Error cause as text', () => {
    expect(describeError(new StoreUnavailableError('put failed', { cause: 'HTTP 503' }))).toBe('put failed: HTTP 503')
  })

  it('is one line: newlines and runs of whitespace become single spaces', () => {
    const cause = new Error('line one\nline two\r\n\tline three')
    const line = describeError(new InvalidImageError('bad\nimage  ', { cause }))
    expect(line).not.toMatch(/[\r\n\t]/)
    expect(line).toBe('bad image: line one line two line three')
  })

  it('describes thrown non-errors', () => {
    expect(describeError('plain string')).toBe('plain string')
    expect(describeError(undefined)).toBe('undefined')
    expect(describeError(17)).toBe('17')
  })

  it('terminates on a cyclic cause chain', () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    ;(a as { cause?: unknown }).cause = b
    const line = describeError(new ConfigError('top', { cause: a }))
    expect(line.startsWith('top')).toBe(true)
    expect(line).not.toContain('\n')
  })

  it("says a system error's code and path once: cannot read x: ENOENT over Node's ENOENT: …, stat 'x'", async () => {
    const missing = '/nonexistent/imgpipe-test-file'
    const cause = await import('node:fs/promises').then((fs) => fs.stat(missing)).catch((error: unknown) => error)
    const line = describeError(new UsageError(`cannot read ${missing}: ENOENT`, { cause }))
    expect(line).toBe(`cannot read ${missing}: ENOENT: no such file or directory`)
  })

  it('keeps the path of a system error that the message does not name', async () => {
    const cause = await import('node:fs/promises').then((fs) => fs.readFile('/nonexistent/x.csv')).catch((error: unknown) => error)
    expect(describeError(new UsageError('cannot read the watchlist', { cause }))).toBe(
      "cannot read the watchlist: ENOENT: no such file or directory, open '/nonexistent/x.csv'",
    )
  })

  it('joins a cause that starts with the words the message ends with, not in the middle of a word', () => {
    expect(describeError(new ConfigError('bad file: EACCES', { cause: new Error('EACCES: permission denied') }))).toBe(
      'bad file: EACCES: permission denied',
    )
    expect(describeError(new ConfigError('no data', { cause: new Error('data lost') }))).toBe('no data: data lost')
  })

  it('does not end in an empty cause when the innermost message is empty', () => {
    const line = describeError(new BusUnavailableError('broker down', { cause: new Error('') }))
    expect(line).toBe('broker down')
  })

  it('gives the cause alone, without a leading colon, when the top message is empty', () => {
    expect(describeError(new StoreUnavailableError('', { cause: new Error('socket hang up') }))).toBe('socket hang up')
  })

  it('describes an AggregateError with an empty message by the errors it holds', () => {
    // What Node's net module throws when every address of "localhost" refuses the connection.
    const aggregate = new AggregateError([new Error('connect ECONNREFUSED ::1:5432'), new Error('connect ECONNREFUSED 127.0.0.1:5432')], '')
    const line = describeError(new CatalogUnavailableError('cannot reach the catalog', { cause: aggregate }))
    expect(line).toContain('cannot reach the catalog: ')
    expect(line).toContain('ECONNREFUSED')
    expect(describeError(toImgpipeError(aggregate))).toContain('ECONNREFUSED')
  })
})

describe('isImgpipeError with codes', () => {
  it('tests the kind by code: any of the codes given, or any of ours without codes', () => {
    const closed = new ClosedError('bus')
    expect(isImgpipeError(closed, 'IMGPIPE_CLOSED')).toBe(true)
    expect(isImgpipeError(closed, 'IMGPIPE_NOT_FOUND', 'IMGPIPE_CLOSED')).toBe(true)
    expect(isImgpipeError(closed, 'IMGPIPE_NOT_FOUND')).toBe(false)
    expect(isImgpipeError(new ObjectNotFoundError('k'), 'IMGPIPE_NOT_FOUND')).toBe(false)
    expect(isImgpipeError(Object.assign(new Error('x'), { code: 'IMGPIPE_CLOSED' }), 'IMGPIPE_CLOSED')).toBe(false)
  })
})
