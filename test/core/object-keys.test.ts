import { describe, it, expect } from 'vitest'
import { ObjectKeyInvalidError } from '../../src/core/errors.js'
import {
  assertValidObjectKey,
  assertValidPrefix,
  compareObjectKeys,
  contentTypeForKey,
  DEFAULT_STREAM,
  differenceImageObjectKey,
  extensionForFormat,
  imageFilename,
  imageNumFromFilename,
  imageObjectKey,
  isValidStreamName,
} from '../../src/core/object-keys.js'

function keyError(key: string): ObjectKeyInvalidError {
  try {
    assertValidObjectKey(key)
  } catch (error) {
    expect(error).toBeInstanceOf(ObjectKeyInvalidError)
    return error as ObjectKeyInvalidError
  }
  throw new Error(`expected ${JSON.stringify(key)} to be rejected`)
}

describe('key builders', () => {
  it('pads image numbers to five digits like the original', () => {
    expect(imageFilename(1, 'jpg')).toBe('image_00001.jpg')
    expect(imageFilename(12345, 'png')).toBe('image_12345.png')
    expect(imageFilename(123456, 'jpg')).toBe('image_123456.jpg')
  })

  it("builds the original's image keys for the default stream, one path segment for named streams", () => {
    expect(imageObjectKey(DEFAULT_STREAM, 1, 'jpg')).toBe('image/image_00001.jpg')
    expect(imageObjectKey(DEFAULT_STREAM, 2, 'png')).toBe('image/image_00002.png')
    expect(imageObjectKey('mock', 1, 'jpg')).toBe('image/mock__image_00001.jpg')
    expect(imageObjectKey('cam-2', 42, 'png')).toBe('image/cam-2__image_00042.png')
  })

  it('names difference images by image_event_id like the original, always jpg', () => {
    expect(differenceImageObjectKey(DEFAULT_STREAM, 1)).toBe('difference_image/image_event_00001.jpg')
    expect(differenceImageObjectKey('mock', 3)).toBe('difference_image/mock__image_event_00003.jpg')
  })

  it('reads the number of an image_NNNNN file name, and nothing else', () => {
    expect(imageNumFromFilename('image_00003.jpg')).toBe(3)
    expect(imageNumFromFilename('image_123456.png')).toBe(123456)
    for (const name of ['image_00000.jpg', 'image_3', 'bear.jpg', 'x/image_00003.jpg', 'image_00003.jpg.bak', 'my_image_00003.jpg']) {
      expect(imageNumFromFilename(name)).toBeNull()
    }
  })

  it('builds keys that pass assertValidObjectKey', () => {
    expect(() => assertValidObjectKey(imageObjectKey('mock', 1, 'jpg'))).not.toThrow()
    expect(() => assertValidObjectKey(differenceImageObjectKey('a.b_c-d', 99999))).not.toThrow()
  })

  it('is deterministic', () => {
    expect(imageObjectKey('mock', 7, 'jpg')).toBe(imageObjectKey('mock', 7, 'jpg'))
  })
})

describe('isValidStreamName', () => {
  it.each(['mock', 'a', 'Cam_01', 'stream.v2', 'x-y', '0', 'a'.repeat(64), 'trailing.'])('accepts %j', (name) => {
    expect(isValidStreamName(name)).toBe(true)
  })

  it.each([
    ['empty', ''],
    ['65 characters', 'a'.repeat(65)],
    ['..', '..'],
    ['a .. inside', 'a..b'],
    ['a slash', 'a/b'],
    ['a backslash', 'a\\b'],
    ['a space', 'my stream'],
    ['a leading dot', '.hidden'],
    ['a leading dash', '-x'],
    ['a leading underscore', '_x'],
    ['a newline', 'a\nb'],
    ['a trailing newline', 'abc\n'],
    ['non-ASCII', 'café'],
    ['a colon', 'a:b'],
  ])('rejects %s', (_label, name) => {
    expect(isValidStreamName(name)).toBe(false)
  })
})

describe('assertValidObjectKey', () => {
  it.each([
    'image/mock/image_00001.jpg',
    'a',
    'file with spaces.jpg',
    'dir with space/x y.png',
    'ünïcødé/日本語/😀.jpg',
    'dots.in.name/..hidden/x..y/...',
    '.hidden/file',
    'a'.repeat(1024),
    `${'é'.repeat(512)}`, // 1024 bytes in UTF-8
  ])('accepts %j', (key) => {
    expect(() => assertValidObjectKey(key)).not.toThrow()
  })

  it.each([
    ['empty', ''],
    ['..', '..'],
    ['a leading .. segment', '../etc/passwd'],
    ['an inner .. segment', 'image/../secret'],
    ['a trailing .. segment', 'image/..'],
    ['.', '.'],
    ['an inner . segment', 'image/./x.jpg'],
    ['absolute', '/etc/passwd'],
    ['a double slash', 'image//x.jpg'],
    ['a trailing slash', 'image/'],
    ['a backslash', 'image\\x.jpg'],
    ['a Windows traversal', '..\\x'],
    ['NUL', 'image/x\u0000.jpg'],
    ['a newline', 'image/x\n.jpg'],
    ['a tab', 'image/\tx.jpg'],
    ['DEL', 'image/x\u007f.jpg'],
    ['a C1 control character', 'image/x\u0085.jpg'],
    ['1025 bytes', 'a'.repeat(1025)],
    ['more than 1024 bytes in UTF-8', 'é'.repeat(513)],
  ])('rejects %s', (_label, key) => {
    const error = keyError(key)
    expect(error.code).toBe('IMGPIPE_OBJECT_KEY_INVALID')
    expect(error.canRetry).toBe(false)
  })

  it('says why', () => {
    expect(keyError('').message).toMatch(/empty/)
    expect(keyError('a/../b').message).toMatch(/"\.\." segment/)
    expect(keyError('/a').message).toMatch(/absolute/)
    expect(keyError('a\\b').message).toMatch(/backslash/)
    expect(keyError('a\u0001b').message).toMatch(/control character/)
    expect(keyError('a//b').message).toMatch(/empty path segment/)
    expect(keyError('x'.repeat(2000)).message).toMatch(/1024 bytes/)
  })

  it('does not put raw control characters into the message', () => {
    expect(keyError('a\nb').message).not.toContain('\n')
  })
})

describe('assertValidPrefix', () => {
  it.each(['', 'image', 'image/', 'image/mock/', 'a b/'])('accepts %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).not.toThrow()
  })

  it.each(['/', '/image/', '../', 'image//', 'image/../', 'a\\b/', './'])('rejects %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).toThrow(ObjectKeyInvalidError)
  })
})

describe('extensionForFormat', () => {
  it.each([
    ['jpeg', 'jpg'],
    ['png', 'png'],
    ['webp', 'webp'],
    ['gif', 'gif'],
    ['avif', 'avif'],
    ['tiff', 'tiff'],
    ['heif', 'heic'],
    ['fits', 'fits'],
    ['svg', 'bin'],
    [null, 'bin'],
  ] as const)('%s -> %s', (format, extension) => {
    expect(extensionForFormat(format)).toBe(extension)
  })
})

describe('contentTypeForKey', () => {
  it.each([
    ['image/mock/image_00001.jpg', 'image/jpeg'],
    ['x.JPEG', 'image/jpeg'],
    ['x.Jpg', 'image/jpeg'],
    ['x.png', 'image/png'],
    ['x.webp', 'image/webp'],
    ['x.gif', 'image/gif'],
    ['x.avif', 'image/avif'],
    ['x.tiff', 'image/tiff'],
    ['x.tif', 'image/tiff'],
    ['x.heic', 'image/heic'],
    ['x.bin', 'application/octet-stream'],
    ['x.tar.gz', 'application/octet-stream'],
    ['image/cam__image_00001.fits', 'application/fits'],
    ['image/cam__image_00002.fits.gz', 'application/octet-stream'],
    ['no-extension', 'application/octet-stream'],
    ['dir.png/file', 'application/octet-stream'],
    ['trailing.', 'application/octet-stream'],
  ])('%s -> %s', (key, type) => {
    expect(contentTypeForKey(key)).toBe(type)
  })

  it('needs a dot: a key that is only an extension name is not typed by it', () => {
    expect(contentTypeForKey('png')).toBe('application/octet-stream')
    expect(contentTypeForKey('image/mock/jpg')).toBe('application/octet-stream')
  })

  it.each(['x.constructor', 'x.toString', 'x.__proto__', 'x.hasOwnProperty'])(
    'returns a string for %j, not an Object.prototype member',
    (key) => {
      expect(contentTypeForKey(key)).toBe('application/octet-stream')
    },
  )
})

describe('compareObjectKeys', () => {
  it('orders by code point like UTF-8 bytes, not by UTF-16 units', () => {
    const values = ['b', 'a/b', 'a-c', '\uff5e', '\u{1f600}', 'é', 'a', '']
    const expected = [...values].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    expect([...values].sort(compareObjectKeys)).toEqual(expected)
    expect(compareObjectKeys('x', 'x')).toBe(0)
  })
})
