/**
 * Walking the header-data units of a FITS file (FITS Standard 4.0, §3.3 HDUs, §4.4.1 mandatory keywords, §7 standard
 * extensions). Each HDU's size comes from its mandatory keywords, which are checked before anything is allocated:
 * NAXISn non-negative integers, BITPIX one of the six, and a data unit that fits in the bytes there are.
 */
import { FitsError } from '../../core/errors.js'
import { DEFAULT_MAX_HEADER_BLOCKS, FITS_BLOCK, parseHeader } from './fits-header.js'
import { type HeaderCard, type HeaderLookup, headerLookup } from './header-card.js'

export type HduKind = 'primary' | 'image' | 'compressed-image' | 'bintable' | 'table' | 'random-groups' | 'other'

/** An HDU as the reader found it. */
export interface Hdu {
  index: number
  kind: HduKind
  cards: HeaderCard[]
  lookup: HeaderLookup
  /** Byte offset of the data unit in the file. */
  dataOffset: number
  /** Bytes of data the header announces (§4.4.1.1), padding excluded. */
  dataSize: number
  /** Whether the file ends before the announced data does. */
  truncated: boolean
  bitpix: number
  /** NAXIS1..NAXISn. */
  axes: number[]
  extname?: string
}

/** What the reader reports for each HDU (for a compressed image, the image's BITPIX and axes, not the table's). */
export interface HduSummary {
  index: number
  kind: HduKind
  extname?: string
  bitpix: number
  axes: number[]
}

const BITPIX_VALUES = new Set([8, 16, 32, 64, -32, -64])

/** Whether the bytes start like a FITS file: `SIMPLE  =` in the first record (§4.4.1.1). */
export function looksLikeFits(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && Buffer.from(bytes.buffer, bytes.byteOffset, 10).toString('latin1') === 'SIMPLE  = '
}

/** The HDUs of a FITS file, in order. Stops at a truncated HDU (marked `truncated`) or at bytes that are no HDU. */
export function walkHdus(bytes: Uint8Array, maxHeaderBlocks = DEFAULT_MAX_HEADER_BLOCKS): Hdu[] {
  if (!looksLikeFits(bytes)) throw new FitsError('FITS_NOT_FITS', 'the file does not start with a SIMPLE card')
  const hdus: Hdu[] = []
  let offset = 0
  while (hdus.length === 0 || offset + FITS_BLOCK <= bytes.length) {
    if (hdus.length > 0 && !startsWith(bytes, offset, 'XTENSION= ')) break // trailing bytes that are no extension: ignored, as astropy does
    const header = parseHeader(bytes, offset, maxHeaderBlocks)
    const hdu = describeHdu(hdus.length, header.cards, offset + header.size, bytes.length)
    hdus.push(hdu)
    if (hdu.truncated) break
    offset = hdu.dataOffset + Math.ceil(hdu.dataSize / FITS_BLOCK) * FITS_BLOCK
  }
  return hdus
}

function startsWith(bytes: Uint8Array, offset: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false
  return true
}

function describeHdu(index: number, cards: HeaderCard[], dataOffset: number, fileSize: number): Hdu {
  const lookup = headerLookup(cards)
  const where = index === 0 ? 'primary HDU' : `HDU ${index}`
  if (index === 0 && lookup.get('SIMPLE') !== true) throw new FitsError('FITS_NOT_FITS', 'SIMPLE is not T')
  const bitpix = lookup.get('BITPIX')
  if (typeof bitpix !== 'number' || !BITPIX_VALUES.has(bitpix)) throw new FitsError('FITS_BAD_HEADER', `${where}: BITPIX ${String(bitpix)}`)
  const naxis = axisValue(lookup, 'NAXIS', where)
  if (naxis > 999) throw new FitsError('FITS_BAD_AXIS', `${where}: NAXIS ${naxis}`)
  const axes: number[] = []
  for (let n = 1; n <= naxis; n++) axes.push(axisValue(lookup, `NAXIS${n}`, where))
  const xtension = index === 0 ? undefined : lookup.get('XTENSION')
  const groups = index === 0 && lookup.get('GROUPS') === true && axes[0] === 0
  // §4.4.1.1 and §6: PCOUNT and GCOUNT are 0 and 1 for the primary HDU and images, given for tables and groups.
  const pcount = index === 0 && !groups ? 0 : optionalCount(lookup, 'PCOUNT', 0, where)
  const gcount = index === 0 && !groups ? 1 : optionalCount(lookup, 'GCOUNT', 1, where)
  const elements = (groups ? axes.slice(1) : axes).reduce((product, axis) => product * axis, naxis === 0 ? 0 : 1)
  const dataSize = (Math.abs(bitpix) / 8) * gcount * (pcount + (groups && naxis === 1 ? 0 : elements))
  const kind = kindOf(index, xtension, groups, lookup)
  // CFITSIO names a compressed HDU 'COMPRESSED_IMAGE' and keeps the image's own EXTNAME after it.
  const extname = cards.find(
    (card) => card.keyword === 'EXTNAME' && !(kind === 'compressed-image' && card.value === 'COMPRESSED_IMAGE'),
  )?.value
  const hdu: Hdu = {
    index,
    kind,
    cards,
    lookup,
    dataOffset,
    dataSize,
    truncated: dataOffset + dataSize > fileSize,
    bitpix,
    axes,
  }
  if (typeof extname === 'string') hdu.extname = extname.trim()
  return hdu
}

function kindOf(index: number, xtension: unknown, groups: boolean, lookup: HeaderLookup): HduKind {
  if (index === 0) return groups ? 'random-groups' : 'primary'
  const name = typeof xtension === 'string' ? xtension.trim() : ''
  if (name === 'IMAGE') return 'image'
  if (name === 'BINTABLE') return lookup.get('ZIMAGE') === true ? 'compressed-image' : 'bintable'
  if (name === 'TABLE') return 'table'
  return 'other'
}

/** A mandatory axis keyword: a non-negative integer small enough to compute with exactly. */
export function axisValue(lookup: HeaderLookup, keyword: string, where: string): number {
  const value = lookup.get(keyword)
  if (value === undefined) throw new FitsError('FITS_BAD_HEADER', `${where}: ${keyword} is missing`)
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value) && value > 2 ** 40)) {
    throw new FitsError('FITS_TOO_LARGE', `${where}: ${keyword} = ${value}`)
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new FitsError('FITS_BAD_AXIS', `${where}: ${keyword} = ${String(value)} is not a non-negative integer`)
  }
  return value
}

function optionalCount(lookup: HeaderLookup, keyword: string, fallback: number, where: string): number {
  return lookup.get(keyword) === undefined ? fallback : axisValue(lookup, keyword, where)
}

/** The HDU's summary, with a compressed image described by its Z keywords (Tiled Image Convention §4). */
export function summarize(hdu: Hdu): HduSummary {
  const summary: HduSummary = { index: hdu.index, kind: hdu.kind, bitpix: hdu.bitpix, axes: hdu.axes }
  if (hdu.kind === 'compressed-image') {
    const zbitpix = hdu.lookup.get('ZBITPIX')
    const znaxis = hdu.lookup.get('ZNAXIS')
    summary.bitpix = typeof zbitpix === 'number' ? zbitpix : 0
    summary.axes = []
    for (let n = 1; typeof znaxis === 'number' && n <= Math.min(znaxis, 999); n++) {
      const axis = hdu.lookup.get(`ZNAXIS${n}`)
      summary.axes.push(typeof axis === 'number' ? axis : 0)
    }
  }
  if (hdu.extname !== undefined) summary.extname = hdu.extname
  return summary
}

/** Whether the HDU holds image pixels (a primary or IMAGE HDU with data, or a tile-compressed image). */
export function hasImage(hdu: Hdu): boolean {
  if (hdu.kind === 'compressed-image') return true
  return (hdu.kind === 'primary' || hdu.kind === 'image') && hdu.axes.length > 0 && hdu.axes.every((axis) => axis > 0)
}
