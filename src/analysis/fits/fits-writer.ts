/**
 * Writing a float image as a single-HDU FITS file (FITS Standard 4.0): the mandatory keywords in their order (§4.4.1.1),
 * DATE (UTC, §4.4.2.1) and ORIGIN, then the caller's cards (a WCS, say), the header padded with spaces and the data
 * unit with zeros to 2880-byte blocks (§3.3.2). BITPIX −32 keeps every float and NaN as they are; BITPIX 16 stores
 * scaled integers with BZERO/BSCALE and BLANK for NaN (§4.4.2.5), for half the size at lower precision.
 */
import { InternalError } from '../../core/errors.js'
import type { FloatImage } from '../float-image.js'
import { FITS_BLOCK, formatHeader } from './fits-header.js'
import { swapInto } from './fits-pixels.js'
import type { HeaderCard } from './header-card.js'

export interface WriteFitsOptions {
  /** −32 (default): float32 pixels. 16: integers with BZERO/BSCALE, NaN as BLANK. */
  bitpix?: -32 | 16
  /** For BITPIX 16: physical = BZERO + BSCALE × stored; by default the image's range spread over the int16 range. */
  bscale?: number
  bzero?: number
  /** The DATE card's time (default now). */
  now?: Date
}

/** The stored value that marks a NaN pixel in BITPIX 16 output. */
export const BLANK_16 = -32768

/** Keywords the writer owns: a caller's card with one of these is left out, the writer's own is written. */
const RESERVED = /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|GROUPS|BSCALE|BZERO|BLANK|DATE|ORIGIN|END)$/

/** The FITS file of `image` with `cards` after the mandatory ones. */
export function writeFits(image: FloatImage, cards: readonly HeaderCard[] = [], options: WriteFitsOptions = {}): Uint8Array {
  const { width, height, data } = image
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || data.length !== width * height) {
    throw new InternalError(`writeFits: a ${width}×${height} image needs ${width * height} pixels, it has ${data.length}`)
  }
  const bitpix = options.bitpix ?? -32
  const header: HeaderCard[] = [
    { keyword: 'SIMPLE', value: true, comment: 'conforms to FITS standard' },
    { keyword: 'BITPIX', value: bitpix, comment: bitpix === -32 ? 'IEEE single precision floating point' : '16-bit integers' },
    { keyword: 'NAXIS', value: 2, comment: 'number of array dimensions' },
    { keyword: 'NAXIS1', value: width },
    { keyword: 'NAXIS2', value: height },
  ]
  let body: Uint8Array
  if (bitpix === -32) {
    body = new Uint8Array(paddedSize(data.length * 4))
    const swapped = new Float32Array(data.length)
    swapInto(swapped, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 4)
    body.set(new Uint8Array(swapped.buffer))
  } else if (bitpix === 16) {
    const { bscale, bzero } = scalingFor(data, options)
    header.push(
      { keyword: 'BSCALE', value: bscale, comment: 'physical = BZERO + BSCALE * stored' },
      { keyword: 'BZERO', value: bzero },
      { keyword: 'BLANK', value: BLANK_16, comment: 'stored value of undefined (NaN) pixels' },
    )
    body = new Uint8Array(paddedSize(data.length * 2))
    const view = new DataView(body.buffer)
    for (let i = 0; i < data.length; i++) {
      const value = data[i]!
      // Stored values are clamped to −32767..32767: −32768 is BLANK.
      const stored = Number.isNaN(value) ? BLANK_16 : Math.max(-32767, Math.min(32767, Math.round((value - bzero) / bscale)))
      view.setInt16(i * 2, stored)
    }
  } else {
    throw new InternalError(`writeFits: BITPIX ${String(bitpix)} is not −32 or 16`)
  }
  header.push(
    { keyword: 'DATE', value: fitsDate(options.now ?? new Date()), comment: 'UTC date the file was written' },
    { keyword: 'ORIGIN', value: 'imgpipe', comment: 'software that wrote the file' },
  )
  const kept = cards.filter((card) => !RESERVED.test(card.keyword.toUpperCase()))
  // The long-string convention (§4.2.1.2) is part of FITS 4.0; fitsverify still asks for the LONGSTRN keyword with it.
  const longStrings = kept.some((card) => typeof card.value === 'string' && card.value.replace(/'/g, "''").length > 68)
  if (longStrings && !kept.some((card) => card.keyword.toUpperCase() === 'LONGSTRN')) {
    header.push({ keyword: 'LONGSTRN', value: 'OGIP 1.0', comment: 'long strings continue in CONTINUE cards' })
  }
  header.push(...kept)
  const head = formatHeader(header)
  const out = new Uint8Array(head.length + body.length)
  out.set(head)
  out.set(body, head.length)
  return out
}

function paddedSize(bytes: number): number {
  return Math.ceil(bytes / FITS_BLOCK) * FITS_BLOCK
}

/** §4.4.2.1: `YYYY-MM-DDThh:mm:ss`, UTC. */
function fitsDate(date: Date): string {
  return date.toISOString().slice(0, 19)
}

/** BSCALE/BZERO given, or spreading the finite pixels' range over −32767..32767. */
function scalingFor(data: Float32Array, options: WriteFitsOptions): { bscale: number; bzero: number } {
  if (options.bscale !== undefined || options.bzero !== undefined) {
    const bscale = options.bscale ?? 1
    if (!(bscale > 0) || !Number.isFinite(bscale)) throw new InternalError(`writeFits: BSCALE ${bscale} must be positive`)
    return { bscale, bzero: options.bzero ?? 0 }
  }
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (let i = 0; i < data.length; i++) {
    const value = data[i]!
    if (value < min) min = value
    if (value > max) max = value
  }
  if (!(max >= min) || !Number.isFinite(max - min)) return { bscale: 1, bzero: 0 }
  const bzero = (max + min) / 2
  return { bscale: max > min ? (max - min) / 65534 : 1, bzero }
}
