import { createHash } from 'node:crypto'
import { inspectImage, sniffFormat } from '../../analysis/decode-image.js'
import type { PixelHandOver } from '../../analysis/inspected-pixels.js'
import type { AnalysisOptions } from '../../core/analysis-options.js'
import { describeError, toImgpipeError, type ImgpipeError } from '../../core/errors.js'
import { extensionForFormat } from '../../core/object-keys.js'
import type { ImageObservation, NewImage } from '../../core/types.js'
import { checkFits, isGzip, looksLikeFitsFile } from './check-fits.js'
import type { IncomingImage } from './image-source.js'

/** What validation learnt about an image: the row's fields that depend on its bytes. */
export type CheckedFields = Pick<NewImage, 'width' | 'height' | 'format' | 'errorCode' | 'errorMessage'> & {
  /** The status the image gets once its bytes are stored. */
  status: 'received' | 'failed'
  extension: string
  error: ImgpipeError | null
  /** What a FITS image's header says (null for 8-bit pictures and failed images). */
  observation: ImageObservation | null
}

type Inspected =
  | { ok: true; format: string; width: number; height: number; extension?: string; observation?: ImageObservation }
  | { ok: false; error: ImgpipeError }

/**
 * Reads what the row needs from the bytes; a bad image is not an error of the stage but a failed row. Only a
 * transient failure (canRetry) is thrown. `handOver`: where decoded pixels go for an analyze stage of this process.
 */
export async function checkIncoming(incoming: IncomingImage, limits: AnalysisOptions, handOver?: PixelHandOver): Promise<CheckedFields> {
  const result = await inspect(incoming, limits, handOver)
  if (result.ok) {
    return {
      status: 'received',
      width: result.width,
      height: result.height,
      format: result.format,
      // A gzipped FITS file is stored as sent: `fits.gz`, not the `fits` of its format.
      extension: result.extension ?? extensionForFormat(result.format),
      errorCode: null,
      errorMessage: null,
      error: null,
      observation: result.observation ?? null,
    }
  }
  return {
    status: 'failed',
    width: null,
    height: null,
    format: null,
    extension: extensionOf(incoming.filename),
    errorCode: result.error.code,
    errorMessage: describeError(result.error).slice(0, 1000),
    error: result.error,
    observation: null,
  }
}

async function inspect(incoming: IncomingImage, limits: AnalysisOptions, handOver: PixelHandOver | undefined): Promise<Inspected> {
  if (incoming.readError !== undefined) return { ok: false, error: incoming.readError }
  if (incoming.known !== undefined) return { ok: true, ...incoming.known }
  if (incoming.bytes === null) return { ok: false, error: toImgpipeError(new Error('no bytes')) }
  // FITS by content, whatever the name; any gzip too: no picture format imgpipe decodes is gzip, so the FITS
  // reader's verdict (FITS_NOT_FITS, FITS_GZIP_CORRUPT, FITS_GZIP_LIMIT) is the most precise one there is.
  if (isFitsCandidate(incoming.bytes) || isGzip(incoming.bytes)) {
    return checkFits(incoming.bytes, { maxPixels: limits.maxImagePixels, hdu: limits.fitsHdu }, handOver)
  }
  try {
    return { ok: true, ...(await inspectImage(incoming.bytes, limits, handOver)) }
  } catch (error) {
    const failure = toImgpipeError(error)
    if (failure.canRetry) throw failure
    return { ok: false, error: failure }
  }
}

/** For files that are not images, keep their own extension (sanitised) so the stored object is recognisable. */
function extensionOf(filename: string): string {
  const match = /\.([A-Za-z0-9]{1,8})$/.exec(filename)
  return match === null ? 'bin' : match[1]!.toLowerCase()
}

/** Bytes from the start of a file that {@link looksLikeImage} needs to decide (gzip needs a few KB to inflate from). */
export const IMAGE_SIGNATURE_BYTES = 4096

/**
 * True when a file's first bytes are an image's: a format the receive stage decodes (the signatures
 * {@link sniffFormat} knows), the wider families the decoder may still read (any ISO-BMFF `ftyp` box, i.e. AVIF
 * or HEIF under another brand; BigTIFF), or FITS, plain or gzip-compressed. Ingest skips the rest (a `notes.txt`, a README, an empty file)
 * instead of recording them as failed images of the stream for good. Only a pre-filter by content, never by
 * name: whether a candidate decodes is still decided by {@link checkIncoming}, which records a damaged one as failed.
 */
export function looksLikeImage(head: Uint8Array): boolean {
  return sniffFormat(head) !== undefined || hasAscii(head, 4, 'ftyp') || isBigTiff(head) || looksLikeFitsFile(head)
}

/** FITS files start with the card `SIMPLE  =` (FITS Standard 4.0 §4.4.1.1); check-fits.ts reads them. */
export function isFitsCandidate(head: Uint8Array): boolean {
  return hasAscii(head, 0, 'SIMPLE  =')
}

function isBigTiff(head: Uint8Array): boolean {
  return hasAscii(head, 0, 'II+\x00') || hasAscii(head, 0, 'MM\x00+')
}

function hasAscii(bytes: Uint8Array, offset: number, text: string): boolean {
  if (bytes.length < offset + text.length) return false
  for (let index = 0; index < text.length; index += 1) {
    if (bytes[offset + index] !== text.charCodeAt(index)) return false
  }
  return true
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
