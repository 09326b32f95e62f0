import { ObjectKeyInvalidError, UsageError } from './errors.js'

/**
 * Deterministic object keys. A stage that re-runs after a crash computes the same key and overwrites the
 * same object, so storage never holds orphans of a retried step. The layout is the original's, so its
 * viewer (which maps `/image/<name>` and `/difference_image/<name>` to keys, one path segment) and its
 * scripts work on imgpipe's bucket:
 *
 *   image/image_00001.jpg                          image 1 of the default stream (extension of its format)
 *   difference_image/image_event_00001.jpg         the difference image of image_event_id 1 (default stream)
 *   image/<stream>__image_00001.png                image 1 of a named stream: still one segment after the folder
 *   difference_image/<stream>__image_event_00001.jpg
 *
 * Keys are always read from the rows, never rebuilt from numbers, so data stored under an older layout
 * (`image/<stream>/image_00001.jpg`) keeps working.
 */

/** The stream of the original's single image stream, and of `imgpipe run` without `--stream`. */
export const DEFAULT_STREAM = 'default'

const STREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Stream names go into object keys and Kafka keys: a conservative, path-safe alphabet. */
export function isValidStreamName(name: string): boolean {
  return STREAM_NAME.test(name) && !name.includes('..')
}

/** The one wording of a bad stream name, for the CLI (before anything is opened) and the receive stage. */
export function assertValidStreamName(name: string): void {
  if (!isValidStreamName(name)) {
    throw new UsageError(
      `invalid stream name ${JSON.stringify(name)}: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    )
  }
}

function imageNumber(imageNum: number): string {
  return String(imageNum).padStart(5, '0')
}

export function imageFilename(imageNum: number, extension: string): string {
  return `image_${imageNumber(imageNum)}.${extension}`
}

/** `<stream>__` for named streams, nothing for the default one: names stay one path segment. */
function streamPrefix(stream: string): string {
  return stream === DEFAULT_STREAM ? '' : `${stream}__`
}

export function imageObjectKey(stream: string, imageNum: number, extension: string): string {
  return `image/${streamPrefix(stream)}${imageFilename(imageNum, extension)}`
}

/** Named by the event's id, as the original's analysis client names it (the row exists before the object). */
export function differenceImageObjectKey(stream: string, imageEventId: number): string {
  return `difference_image/${streamPrefix(stream)}image_event_${imageNumber(imageEventId)}.jpg`
}

/**
 * A field's reference (difference imaging) as a FITS file, named by its referenceId: a rebuilt or re-set reference is
 * a new version with a new id, so an object once written never changes under a run that used it.
 */
export function referenceObjectKey(stream: string, referenceId: number): string {
  return `reference/${streamPrefix(stream)}reference_${imageNumber(referenceId)}.fits`
}

/** An image an analysis made for an event beside its difference image (noise map, stamps): under the event's name. */
export function derivativeObjectKey(stream: string, imageEventId: number, name: string): string {
  return `derivative/${streamPrefix(stream)}image_event_${imageNumber(imageEventId)}/${name}`
}

/** The original's `image_NNNNN.<ext>` file names carry the image's number: 3 for `image_00003.jpg`. */
export function imageNumFromFilename(filename: string): number | null {
  const match = /^image_([0-9]{1,15})\.[A-Za-z0-9]{1,8}$/.exec(filename)
  if (match === null) return null
  const value = Number(match[1])
  return Number.isSafeInteger(value) && value > 0 ? value : null
}

/** File extension used in keys for a sharp format name. */
export function extensionForFormat(format: string | null): string {
  switch (format) {
    case 'jpeg':
      return 'jpg'
    case 'png':
    case 'webp':
    case 'gif':
    case 'avif':
    case 'tiff':
      return format
    case 'heif':
      return 'heic'
    case 'fits':
      // A gzipped FITS file keeps `fits.gz` (the receive check says so): the stored object is what was sent.
      return 'fits'
    default:
      return 'bin'
  }
}

const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['png', 'image/png'],
  ['webp', 'image/webp'],
  ['gif', 'image/gif'],
  ['avif', 'image/avif'],
  ['tiff', 'image/tiff'],
  ['tif', 'image/tiff'],
  ['heic', 'image/heic'],
  // RFC 4047. A `.fits.gz` object stays application/octet-stream, like any other `.gz`.
  ['fits', 'application/fits'],
])

/** The MIME type for a key's file extension (after the last dot of its last segment); octet-stream otherwise. */
export function contentTypeForKey(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  if (dot === -1) return 'application/octet-stream'
  return CONTENT_TYPES.get(name.slice(dot + 1).toLowerCase()) ?? 'application/octet-stream'
}

/**
 * Rejects keys that could escape a store's root or confuse a file system or S3:
 * empty, absolute, `.`/`..` segments, empty segments, backslashes, control characters (C0, DEL, C1), > 1024 bytes.
 */
export function assertValidObjectKey(key: string): void {
  if (key.length === 0) throw new ObjectKeyInvalidError(key, 'empty')
  if (Buffer.byteLength(key) > 1024) throw new ObjectKeyInvalidError(key, 'longer than 1024 bytes')
  if (key.startsWith('/')) throw new ObjectKeyInvalidError(key, 'absolute')
  if (key.includes('\\')) throw new ObjectKeyInvalidError(key, 'contains a backslash')
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(key)) throw new ObjectKeyInvalidError(key, 'contains a control character')
  for (const segment of key.split('/')) {
    if (segment === '') throw new ObjectKeyInvalidError(key, 'has an empty path segment')
    if (segment === '.' || segment === '..') throw new ObjectKeyInvalidError(key, `has a "${segment}" segment`)
  }
}

/** Prefixes for listings: '' or a relative path; same rules as keys except that it may end with '/'. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return
  assertValidObjectKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix)
}

/**
 * Orders keys by Unicode code point, which is the UTF-8 byte order S3 lists in. Plain `<` compares
 * UTF-16 code units and puts astral characters (emoji) before U+E000..U+FFFF.
 */
export function compareObjectKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let index = 0; index < length; index += 1) {
    let x = a.charCodeAt(index)
    let y = b.charCodeAt(index)
    if (x === y) continue
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (astral code points) move above U+FFFF; U+E000..U+FFFF move down to make room.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000
    }
    return x - y
  }
  return a.length - b.length
}
