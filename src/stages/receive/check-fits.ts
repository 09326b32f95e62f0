/**
 * The receive stage's check of a FITS file (plain, gzip-compressed or tile-compressed): read with the science reader
 * (src/analysis/fits), which refuses hostile files from their headers before any large allocation, and turned into
 * the row's fields — format `fits`, the chosen HDU's size, and what its header says about the observation.
 */
import { constants, gunzipSync } from 'node:zlib'
import { formatCard } from '../../analysis/fits/fits-header.js'
import { looksLikeFits } from '../../analysis/fits/fits-hdus.js'
import { readFits } from '../../analysis/fits/fits-reader.js'
import type { HeaderCard } from '../../analysis/fits/header-card.js'
import type { PixelHandOver } from '../../analysis/inspected-pixels.js'
import { observationMetadata } from '../../analysis/observation-metadata.js'
import { FitsError, toImgpipeError, type ImgpipeError } from '../../core/errors.js'
import type { ImageObservation } from '../../core/types.js'
import { inflateFits } from './inflate-fits.js'

export interface FitsCheckOptions {
  /** IMGPIPE_MAX_IMAGE_PIXELS: the header's pixel count is checked against it, and it bounds gzip's output. */
  maxPixels: number
  /** IMGPIPE_FITS_HDU: the HDU's EXTNAME or 0-based index; undefined: the first HDU with pixels. */
  hdu?: string | number | undefined
}

export type FitsCheck =
  | { ok: true; format: 'fits'; width: number; height: number; extension: 'fits' | 'fits.gz'; observation: ImageObservation }
  | { ok: false; error: ImgpipeError }

/** Compressed bytes tried in turn when sniffing gzip: most files tell at the first step, a bomb inflates ~40 KB. */
const GZIP_SNIFF_STEPS = [64, 256, 1024, 4096]
/** Output cap of one sniffing step: 4 KB of deflate input cannot legitimately need more to yield 10 bytes. */
const GZIP_SNIFF_OUTPUT = 1024 * 1024

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

/**
 * Whether a file's first bytes are FITS: the `SIMPLE  =` card, or gzip whose first inflated bytes are that card.
 * Only the first few KB of gzip input are inflated (never the whole stream), so a bomb costs nothing here.
 */
export function looksLikeFitsFile(head: Uint8Array): boolean {
  if (looksLikeFits(head)) return true
  if (!isGzip(head)) return false
  for (const step of GZIP_SNIFF_STEPS) {
    let inflated: Buffer
    try {
      // A sync flush returns what the truncated input inflates to, instead of failing at its unexpected end.
      inflated = gunzipSync(head.subarray(0, step), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: GZIP_SNIFF_OUTPUT })
    } catch {
      return false
    }
    if (inflated.length >= 10) return looksLikeFits(inflated)
    if (step >= head.length) return false
  }
  return false
}

/**
 * Reads the image a FITS file holds (the HDU `options.hdu` names, else the first with pixels) and describes it;
 * a file that cannot be read is `ok: false` with the reader's FitsError (its code, and one line that starts with
 * the reason). Only a transient failure would be thrown, and reading bytes has none. `handOver`: where the float
 * pixels go for an analyze stage of this process (keyed by the bytes and the HDU read), instead of a second read.
 */
export async function checkFits(bytes: Uint8Array, options: FitsCheckOptions, handOver?: PixelHandOver): Promise<FitsCheck> {
  // Gzip of something else (a log, a tarball) is refused from its first KB, not after inflating it up to the limit.
  if (isGzip(bytes) && !looksLikeFitsFile(bytes)) {
    return { ok: false, error: new FitsError('FITS_NOT_FITS', 'gzip data whose first bytes are not a FITS header') }
  }
  let read
  try {
    // Gzip is inflated here, stopped where the headers say the file ends (inflate-fits.ts), not at the reader's limit.
    const plain = isGzip(bytes) ? await inflateFits(bytes, options.maxPixels) : bytes
    read = readFits(plain, {
      maxPixels: options.maxPixels,
      ...(options.hdu === undefined ? {} : { hdu: options.hdu }),
      // Only inflated bytes, which are ours, may become the pixels: the caller stores the bytes it gave after the check.
      reuseInput: plain !== bytes,
    })
  } catch (error) {
    return { ok: false, error: toImgpipeError(error) }
  }
  const { width, height } = read.image
  handOver?.offer(bytes, read.image, read.hdu)
  const metadata = observationMetadata(read.header, width, height)
  const observation: ImageObservation = {
    hdu: read.hdu,
    obsMjd: metadata.obsMjd,
    obsTime: metadata.obsTime,
    exposureS: metadata.exposureS,
    filter: metadata.filter,
    field: metadata.field,
    centerRa: metadata.centerRa,
    centerDec: metadata.centerDec,
    pixelScaleArcsec: metadata.pixelScaleArcsec,
    footprint: metadata.footprint,
    header: headerText(read.header),
  }
  return { ok: true, format: 'fits', width, height, extension: isGzip(bytes) ? 'fits.gz' : 'fits', observation }
}

/**
 * The header as 80-character records joined by '\n' (END left out): the cards as the reader parsed them, formatted
 * again, so a tile-compressed image gets its image header, not the table's. A card the writer cannot format (a
 * HIERARCH keyword, say) is kept as close to its record as the parsed card allows rather than dropped.
 */
function headerText(cards: readonly HeaderCard[]): string {
  const records: string[] = []
  for (const card of cards) {
    try {
      records.push(...formatCard(card))
    } catch {
      const value = card.value === undefined ? '' : `= ${String(card.value)}`
      const comment = card.comment === undefined ? '' : ` / ${card.comment}`
      records.push(`${card.keyword} ${value}${comment}`.slice(0, 80).padEnd(80))
    }
  }
  return records.join('\n')
}
