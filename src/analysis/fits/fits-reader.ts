/**
 * Reading a FITS image from bytes (FITS Standard 4.0): detected by content (`SIMPLE  =` first, or gzip's magic bytes
 * around it), the HDUs walked, one image HDU chosen — the first with pixels, or one named by EXTNAME or index — and
 * its first plane returned as float32 with BZERO/BSCALE applied and BLANK/NaN pixels as NaN.
 *
 * Hostile files fail with a {@link FitsError} before any large allocation: the pixel count is checked against
 * `maxPixels` from the header, the data unit against the bytes there are, and gzip is inflated with a hard output
 * limit computed from `maxPixels`, so a gzip bomb stops at that limit.
 */
import { gunzipSync } from 'node:zlib'
import { FitsError, InternalError } from '../../core/errors.js'
import type { FloatImage } from '../float-image.js'
import { DEFAULT_MAX_HEADER_BLOCKS, FITS_BLOCK } from './fits-header.js'
import { type Hdu, type HduSummary, hasImage, looksLikeFits, summarize, walkHdus } from './fits-hdus.js'
import { type PixelScaling, decodePixels } from './fits-pixels.js'
import type { HeaderCard } from './header-card.js'
import { decompressImage } from './tile-compression.js'

export interface ReadFitsOptions {
  /** The HDU to read: its EXTNAME (case-insensitive) or its 0-based index. Default: the first HDU with pixels. */
  hdu?: string | number
  /** Largest accepted pixel count of the chosen image (all its axes), checked from the header. */
  maxPixels: number
  /** Largest number of 2880-byte blocks in one header (default 1000). */
  maxHeaderBlocks?: number
  /**
   * The caller gives the bytes up: float32 pixels are byte-swapped where they lie and the image shares the bytes'
   * memory (half the memory and time of a 4096² read). The bytes are garbage afterwards. Always so for gzip input,
   * whose inflated bytes are the reader's own.
   */
  reuseInput?: boolean
}

export interface FitsImage {
  /** The chosen HDU's header; for a tile-compressed image the image's header, not the table's. */
  header: HeaderCard[]
  /** The first plane of the chosen HDU (NAXIS3… index 1), float32, masked pixels NaN. */
  image: FloatImage
  /** Index of the chosen HDU. */
  hdu: number
  /** Every HDU of the file. */
  hdus: HduSummary[]
}

const GZIP_MAGIC = [0x1f, 0x8b]

/** Whether the bytes are a FITS file, plain or gzip-compressed (for gzip, only the magic bytes are looked at). */
export function isFits(bytes: Uint8Array): boolean {
  return looksLikeFits(bytes) || isGzip(bytes)
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]
}

/**
 * The most bytes a gzipped FITS file may inflate to: the largest image at 8 bytes a pixel (BITPIX ±64), plus room
 * for headers and a few small tables. A bomb fails at this size, not at its own.
 */
export function gzipLimit(maxPixels: number, maxHeaderBlocks = DEFAULT_MAX_HEADER_BLOCKS): number {
  return maxPixels * 8 + 2 * maxHeaderBlocks * FITS_BLOCK + 8 * 1024 * 1024
}

/** Reads one image HDU of a FITS file; throws a FitsError (reason, one-line message) when it cannot. */
export function readFits(input: Uint8Array, options: ReadFitsOptions): FitsImage {
  const { maxPixels } = options
  if (!(maxPixels >= 1)) throw new InternalError(`readFits: maxPixels must be positive, got ${maxPixels}`)
  const maxHeaderBlocks = options.maxHeaderBlocks ?? DEFAULT_MAX_HEADER_BLOCKS
  const bytes = isGzip(input) ? gunzip(input, gzipLimit(maxPixels, maxHeaderBlocks)) : input
  const hdus = walkHdus(bytes, maxHeaderBlocks)
  const hdu = chooseHdu(hdus, options.hdu, bytes.length)
  const summaries = hdus.map(summarize)
  if (hdu.kind === 'compressed-image') {
    if (hdu.truncated) throw truncated(hdu, bytes.length)
    const { cards, image } = decompressImage(bytes, hdu, maxPixels)
    return { header: cards, image, hdu: hdu.index, hdus: summaries }
  }
  const pixels = hdu.axes.reduce((product, axis) => product * axis, 1)
  if (pixels > maxPixels)
    throw new FitsError('FITS_TOO_LARGE', `HDU ${hdu.index} has ${hdu.axes.join('×')} pixels, the limit is ${maxPixels}`)
  if (hdu.truncated) throw truncated(hdu, bytes.length)
  const width = hdu.axes[0]!
  const height = hdu.axes[1] ?? 1
  const data = decodePixels(
    bytes,
    hdu.dataOffset,
    hdu.bitpix,
    width * height,
    scalingOf(hdu),
    bytes !== input || options.reuseInput === true,
  )
  return { header: hdu.cards, image: { width, height, data }, hdu: hdu.index, hdus: summaries }
}

function truncated(hdu: Hdu, available: number): FitsError {
  const missing = hdu.dataOffset + hdu.dataSize - available
  return new FitsError('FITS_TRUNCATED', `HDU ${hdu.index} announces ${hdu.dataSize} data bytes, ${missing} are missing`)
}

function gunzip(input: Uint8Array, limit: number): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = gunzipSync(input, { maxOutputLength: limit })
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new FitsError('FITS_GZIP_LIMIT', `gzip data inflates beyond ${limit} bytes`, { cause: error })
    }
    throw new FitsError('FITS_GZIP_CORRUPT', `gzip data is corrupt: ${(error as Error).message}`, { cause: error })
  }
  if (!looksLikeFits(bytes)) throw new FitsError('FITS_NOT_FITS', 'the gzip data is not a FITS file')
  return bytes
}

function chooseHdu(hdus: Hdu[], wanted: string | number | undefined, available: number): Hdu {
  if (wanted === undefined) {
    const first = hdus.find(hasImage)
    if (first !== undefined) return first
    const last = hdus[hdus.length - 1]
    // A file cut short before its first image is truncated, not imageless.
    if (last?.truncated === true) throw truncated(last, available)
    throw new FitsError('FITS_NO_IMAGE', `none of the ${hdus.length} HDUs holds an image`)
  }
  const hdu =
    typeof wanted === 'number' ? hdus[wanted] : hdus.find((candidate) => candidate.extname?.toUpperCase() === wanted.trim().toUpperCase())
  if (hdu === undefined) {
    const last = hdus[hdus.length - 1]
    if (last?.truncated === true)
      throw new FitsError('FITS_TRUNCATED', `the file ends inside HDU ${last.index}, before HDU ${String(wanted)}`)
    throw new FitsError('FITS_NO_IMAGE', `no HDU ${typeof wanted === 'number' ? wanted : JSON.stringify(wanted)} in ${hdus.length} HDUs`)
  }
  if (!hasImage(hdu)) throw new FitsError('FITS_NO_IMAGE', `HDU ${hdu.index} is a ${hdu.kind} without image pixels`)
  return hdu
}

/** BZERO, BSCALE and, for integer data, BLANK (§4.4.2.5). */
function scalingOf(hdu: Hdu): PixelScaling {
  const number = (keyword: string, fallback: number): number => {
    const value = hdu.lookup.get(keyword)
    return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : fallback
  }
  const scaling: PixelScaling = { bscale: number('BSCALE', 1), bzero: number('BZERO', 0) }
  const blank = hdu.lookup.get('BLANK')
  if (hdu.bitpix > 0 && (typeof blank === 'number' || typeof blank === 'bigint')) scaling.blank = blank
  return scaling
}
