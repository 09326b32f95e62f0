/**
 * The binary-table side of a tile-compressed image (FITS Standard 4.0 §7.3 binary tables, §10 tiled compression):
 * the columns' places in a row from TFORMn, and the image's own header rebuilt from the table's (ZBITPIX → BITPIX,
 * ZNAXISn → NAXISn...), as astropy presents a CompImageHDU's header.
 */
import { FitsError } from '../../core/errors.js'
import type { HeaderCard, HeaderLookup } from './header-card.js'

export interface TableColumn {
  /** The TFORM type letter; for a variable-length column P or Q. */
  type: string
  /** Byte offset of the cell in a row. */
  offset: number
  /** Bytes of the cell in a row (a descriptor's 8 or 16 for P/Q). */
  size: number
  /** Bytes of one element in the heap (P/Q columns) or in the cell. */
  elementSize: number
  /** BITPIX of the elements of a numeric variable-length column (UNCOMPRESSED_DATA's 1PE is −32). */
  elementBitpix?: number
}

const TYPE_SIZES: Record<string, number> = { L: 1, X: 1, B: 1, I: 2, J: 4, K: 8, A: 1, E: 4, D: 8, C: 8, M: 16, P: 8, Q: 16 }
const TYPE_BITPIX: Record<string, number> = { B: 8, I: 16, J: 32, K: 64, E: -32, D: -64 }
const TFORM = /^\s*(\d*)([LXBIJKAEDCMPQ])([LXBIJKAEDCM]?)/

/** The table's columns by TTYPE (upper case), with their places in a row of `rowBytes` bytes. */
export function readTableColumns(lookup: HeaderLookup, rowBytes: number): Map<string, TableColumn> {
  const fields = lookup.get('TFIELDS')
  if (typeof fields !== 'number' || !Number.isInteger(fields) || fields < 0 || fields > 999) {
    throw new FitsError('FITS_BAD_HEADER', `TFIELDS ${String(fields)}`)
  }
  const columns = new Map<string, TableColumn>()
  let offset = 0
  for (let n = 1; n <= fields; n++) {
    const form = lookup.get(`TFORM${n}`)
    const match = typeof form === 'string' ? TFORM.exec(form.toUpperCase()) : null
    if (match === null) throw new FitsError('FITS_BAD_HEADER', `TFORM${n} = ${String(form)}`)
    const repeat = match[1] === '' ? 1 : Number(match[1])
    const type = match[2]!
    const size = type === 'X' ? Math.ceil(repeat / 8) : repeat * TYPE_SIZES[type]!
    const variable = type === 'P' || type === 'Q'
    const elementType = variable ? match[3]! : type
    const column: TableColumn = { type, offset, size, elementSize: TYPE_SIZES[elementType] ?? 1 }
    const bitpix = TYPE_BITPIX[elementType]
    if (bitpix !== undefined) column.elementBitpix = bitpix
    const name = lookup.get(`TTYPE${n}`)
    if (typeof name === 'string') columns.set(name.trim().toUpperCase(), column)
    offset += size
  }
  if (offset > rowBytes) throw new FitsError('FITS_BAD_HEADER', `columns of ${offset} bytes in rows of ${rowBytes}`)
  return columns
}

/** Keywords that describe the table or the compression, not the image. */
const TABLE_KEYWORD =
  /^(XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|TFIELDS|T(TYPE|FORM|UNIT|DIM|SCAL|ZERO|NULL|DISP)\d+|THEAP|ZIMAGE|ZSIMPLE|ZTENSION|ZEXTEND|ZBLOCKED|ZBITPIX|ZNAXIS\d*|ZTILE\d+|ZCMPTYPE|ZNAME\d+|ZVAL\d+|ZMASKCMP|ZQUANTIZ|ZDITHER0|ZPCOUNT|ZGCOUNT|ZSCALE|ZZERO|ZBLANK|ZHECKSUM|ZDATASUM|CHECKSUM|DATASUM)$/

/** The image header of a compressed HDU (Tiled Image Convention §4: Z keywords hold the image's mandatory ones). */
export function imageHeaderOf(cards: readonly HeaderCard[]): HeaderCard[] {
  const byKeyword = new Map<string, HeaderCard>()
  for (const card of cards) if (!byKeyword.has(card.keyword)) byKeyword.set(card.keyword, card)
  const value = (keyword: string) => byKeyword.get(keyword)?.value
  const primary = value('ZSIMPLE') === true
  const out: HeaderCard[] = []
  if (primary) out.push({ keyword: 'SIMPLE', value: true })
  else out.push({ keyword: 'XTENSION', value: typeof value('ZTENSION') === 'string' ? String(value('ZTENSION')).trim() : 'IMAGE' })
  out.push({ keyword: 'BITPIX', value: value('ZBITPIX') ?? null })
  const naxis = Number(value('ZNAXIS') ?? 0)
  out.push({ keyword: 'NAXIS', value: naxis })
  for (let n = 1; n <= naxis && n <= 999; n++) out.push({ keyword: `NAXIS${n}`, value: value(`ZNAXIS${n}`) ?? null })
  if (!primary) {
    out.push({ keyword: 'PCOUNT', value: value('ZPCOUNT') ?? 0 })
    out.push({ keyword: 'GCOUNT', value: value('ZGCOUNT') ?? 1 })
  }
  for (const card of cards) {
    if (TABLE_KEYWORD.test(card.keyword)) continue
    // The name CFITSIO gives a compressed HDU that had none is not the image's.
    if (card.keyword === 'EXTNAME' && card.value === 'COMPRESSED_IMAGE') continue
    out.push(card)
  }
  return out
}
