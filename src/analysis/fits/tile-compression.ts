/**
 * Tile-compressed images (the Tiled Image Compression convention, Pence, Seaman & White 2010, adopted as FITS
 * Standard 4.0 §10): a BINTABLE with ZIMAGE = T whose rows are the image's tiles, each a variable-length array in the
 * heap. Decoded here: RICE_1, GZIP_1, GZIP_2 (bytes shuffled by significance, §10.4.4), NOCOMPRESS, and tiles stored
 * in GZIP_COMPRESSED_DATA or UNCOMPRESSED_DATA when they could not be compressed. Floating-point images come back
 * from quantized integers with ZSCALE/ZZERO per tile and the subtractive dither of §10.2 (SUBTRACTIVE_DITHER_1/2).
 *
 * Every descriptor is checked to lie inside the heap before its bytes are read, and every inflated tile is limited to
 * the tile's own size, so a hostile table cannot make the decoder read outside the file or allocate without bound.
 */
import { unzipSync } from 'node:zlib'
import { FitsError } from '../../core/errors.js'
import type { FloatImage } from '../float-image.js'
import type { Hdu } from './fits-hdus.js'
import { type PixelScaling, decodePixels, scaleIntegers, swapInto } from './fits-pixels.js'
import type { CardValue, HeaderCard } from './header-card.js'
import { imageHeaderOf, readTableColumns, type TableColumn } from './compressed-table.js'
import { riceDecode } from './rice-decoder.js'
import { ditherOffset, DITHER_RANDOMS, N_RANDOM } from './dither-randoms.js'

/** The stored value §10.2.2 reserves for an exact zero under SUBTRACTIVE_DITHER_2. */
const ZERO_VALUE = -2147483646

export interface DecompressedImage {
  /** The image's own header, as astropy shows a CompImageHDU's: Z keywords turned back into BITPIX, NAXISn... */
  cards: HeaderCard[]
  image: FloatImage
}

interface TileContext {
  /** RICE_1's BLOCKSIZE and BYTEPIX (ZNAMEi/ZVALi), and the buffer its tiles are decoded into. */
  blockSize: number
  bytePix: number
  rice: Int32Array
  bytes: Uint8Array
  hdu: Hdu
  heapStart: number
  heapEnd: number
  rowBytes: number
  columns: Map<string, TableColumn>
}

/** Decompresses the first plane of a tile-compressed image HDU (the caller has checked it is one). */
export function decompressImage(bytes: Uint8Array, hdu: Hdu, maxPixels: number): DecompressedImage {
  const get = (keyword: string): CardValue | undefined => hdu.lookup.get(keyword)
  const zbitpix = get('ZBITPIX')
  const znaxis = get('ZNAXIS')
  if (typeof zbitpix !== 'number' || ![8, 16, 32, 64, -32, -64].includes(zbitpix))
    throw new FitsError('FITS_BAD_HEADER', `ZBITPIX ${String(zbitpix)}`)
  if (typeof znaxis !== 'number' || !Number.isInteger(znaxis) || znaxis < 1 || znaxis > 999)
    throw new FitsError('FITS_BAD_AXIS', `ZNAXIS ${String(znaxis)}`)
  const axes: number[] = []
  const tiles: number[] = []
  for (let n = 1; n <= znaxis; n++) {
    const axis = positiveInteger(get(`ZNAXIS${n}`), `ZNAXIS${n}`, 'FITS_BAD_AXIS')
    axes.push(axis)
    tiles.push(
      Math.min(
        axis,
        get(`ZTILE${n}`) === undefined ? (n === 1 ? axis : 1) : positiveInteger(get(`ZTILE${n}`), `ZTILE${n}`, 'FITS_BAD_TILE'),
      ),
    )
  }
  const pixels = axes.reduce((product, axis) => product * axis, 1)
  if (pixels > maxPixels) throw new FitsError('FITS_TOO_LARGE', `compressed image of ${axes.join('×')} pixels, the limit is ${maxPixels}`)
  const width = axes[0]!
  const height = axes[1] ?? 1
  const grid = axes.map((axis, n) => Math.ceil(axis / tiles[n]!))
  const tileCount = grid.reduce((product, count) => product * count, 1)
  const rows = hdu.axes[1] ?? 0
  if (rows !== tileCount) throw new FitsError('FITS_BAD_TILE', `${rows} table rows for ${tileCount} tiles`)
  const context = tableContext(bytes, hdu)

  const type = String(get('ZCMPTYPE') ?? '').trim()
  const quantize = String(get('ZQUANTIZ') ?? (zbitpix < 0 && type !== 'GZIP_1' && type !== 'GZIP_2' ? 'NO_DITHER' : 'NONE')).trim()
  const floating = zbitpix < 0
  const ditherSeed = typeof get('ZDITHER0') === 'number' ? (get('ZDITHER0') as number) : 1
  const scaling = physicalScaling(hdu)
  const out = new Float32Array(width * height)
  const tileWidth = tiles[0]!
  const tileHeight = tiles[1] ?? 1
  let scratch = new Float32Array(0)
  for (let row = 0; row < tileCount; row++) {
    // The tile's origin on each axis; tiles of planes other than the first are skipped.
    let rest = row
    const origin = grid.map((count, n) => {
      const at = (rest % count) * tiles[n]!
      rest = Math.floor(rest / count)
      return at
    })
    if (origin.slice(2).some((at) => at !== 0)) continue
    const w = Math.min(tileWidth, width - origin[0]!)
    const h = Math.min(tileHeight, height - (origin[1] ?? 0))
    // A tile spans all its planes; only the first plane's w×h pixels are kept.
    const depth = tiles.slice(2).reduce((product, size) => product * size, 1)
    const values = decodeTile(context, row, type, zbitpix, quantize, w * h * depth)
    // Tiles of whole rows (fpack's default) are decoded straight into the image; others through a scratch tile.
    const direct = w === width
    const offset = (origin[1] ?? 0) * width
    if (!direct && scratch.length < w * h) scratch = new Float32Array(w * h)
    const tilePixels = direct ? out.subarray(offset, offset + w * h) : scratch.subarray(0, w * h)
    if (values instanceof Float32Array || values instanceof Float64Array) {
      for (let i = 0; i < w * h; i++) tilePixels[i] = scaling.bzero + scaling.bscale * values[i]!
    } else if (floating && quantize !== 'NONE') {
      unquantize(values, tilePixels, context, row, quantize, ditherSeed)
    } else {
      scaleIntegers(values.subarray(0, w * h), tilePixels, { ...scaling, ...blankOf(context, row, scaling) })
    }
    if (!direct) for (let y = 0; y < h; y++) out.set(tilePixels.subarray(y * w, (y + 1) * w), offset + y * width + origin[0]!)
  }
  return { cards: imageHeaderOf(hdu.cards), image: { width, height, data: out } }
}

function positiveInteger(value: CardValue | undefined, keyword: string, reason: 'FITS_BAD_AXIS' | 'FITS_BAD_TILE'): number {
  if (typeof value === 'bigint') throw new FitsError('FITS_TOO_LARGE', `${keyword} = ${value}`)
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new FitsError(reason, `${keyword} = ${String(value)}`)
  return value
}

function tableContext(bytes: Uint8Array, hdu: Hdu): TileContext {
  const rowBytes = hdu.axes[0] ?? 0
  const rows = hdu.axes[1] ?? 0
  const theap = hdu.lookup.get('THEAP')
  const heapOffset = typeof theap === 'number' ? theap : rowBytes * rows
  const heapStart = hdu.dataOffset + heapOffset
  const heapEnd = hdu.dataOffset + hdu.dataSize
  if (heapOffset < rowBytes * rows || heapStart > heapEnd) throw new FitsError('FITS_BAD_TILE', `THEAP ${heapOffset} inside the table`)
  const columns = readTableColumns(hdu.lookup, rowBytes)
  const blockSize = compressionParameter(hdu, 'BLOCKSIZE', 32)
  const bytePix = compressionParameter(hdu, 'BYTEPIX', 4)
  return { blockSize, bytePix, rice: new Int32Array(0), bytes, hdu, heapStart, heapEnd, rowBytes, columns }
}

/** §4.4.2.5 keywords of a compressed image apply to the image (they are copied from it), not to the table. */
function physicalScaling(hdu: Hdu): PixelScaling {
  const bscale = hdu.lookup.get('BSCALE')
  const bzero = hdu.lookup.get('BZERO')
  return { bscale: typeof bscale === 'number' ? bscale : 1, bzero: typeof bzero === 'number' ? bzero : Number(bzero ?? 0) }
}

/** The null value of integer tiles: a ZBLANK column or keyword, else the image's BLANK. */
function blankOf(context: TileContext, row: number, scaling: PixelScaling): { blank?: number | bigint } {
  const column = context.columns.get('ZBLANK')
  if (column !== undefined) return { blank: scalarCell(context, row, column) }
  const keyword = context.hdu.lookup.get('ZBLANK') ?? context.hdu.lookup.get('BLANK')
  if (typeof keyword === 'number' || typeof keyword === 'bigint') return { blank: keyword }
  return scaling.blank === undefined ? {} : { blank: scaling.blank }
}

/** A fixed (not variable-length) numeric cell of the table: ZSCALE, ZZERO, ZBLANK per tile. */
function scalarCell(context: TileContext, row: number, column: TableColumn): number {
  const at = context.hdu.dataOffset + row * context.rowBytes + column.offset
  const view = new DataView(context.bytes.buffer, context.bytes.byteOffset + at, column.size)
  switch (column.type) {
    case 'D':
      return view.getFloat64(0)
    case 'E':
      return view.getFloat32(0)
    case 'J':
      return view.getInt32(0)
    case 'K':
      return Number(view.getBigInt64(0))
    case 'I':
      return view.getInt16(0)
    default:
      return view.getUint8(0)
  }
}

/** The bytes a row's variable-length cell points at, checked to lie inside the heap. */
function heapCell(context: TileContext, row: number, column: TableColumn): Uint8Array {
  const at = context.hdu.dataOffset + row * context.rowBytes + column.offset
  const view = new DataView(context.bytes.buffer, context.bytes.byteOffset + at, column.size)
  const count = column.type === 'Q' ? Number(view.getBigUint64(0)) : view.getUint32(0)
  const offset = column.type === 'Q' ? Number(view.getBigUint64(8)) : view.getUint32(4)
  const length = count * column.elementSize
  const start = context.heapStart + offset
  if (start + length > context.heapEnd) {
    throw new FitsError('FITS_BAD_TILE', `tile ${row + 1} points at heap bytes ${offset}..${offset + length}, outside the heap`)
  }
  return context.bytes.subarray(start, start + length)
}

type TileValues = Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array

/** One tile's stored values: integers (quantized or not) or, for a tile kept uncompressed, floats. */
function decodeTile(context: TileContext, row: number, type: string, zbitpix: number, quantize: string, count: number): TileValues {
  const compressed = context.columns.get('COMPRESSED_DATA')
  const cell = compressed === undefined ? new Uint8Array(0) : heapCell(context, row, compressed)
  if (cell.length === 0) return fallbackTile(context, row, zbitpix, count)
  // Quantized floats are stored as 32-bit integers; otherwise the stored type is ZBITPIX's.
  const storedBitpix = zbitpix < 0 && quantize !== 'NONE' ? 32 : zbitpix
  switch (type) {
    case 'RICE_1':
    case 'RICE_ONE': {
      // One buffer for every tile: the values are used before the next tile is decoded.
      if (context.rice.length < count) context.rice = new Int32Array(count)
      const out = context.rice.subarray(0, count)
      riceDecode(cell, count, context.blockSize, context.bytePix, out)
      return out
    }
    case 'GZIP_1':
    case 'GZIP_2': {
      const size = Math.abs(storedBitpix) / 8
      let raw = inflateTile(cell, count * size, row)
      if (type === 'GZIP_2') raw = unshuffle(raw, size)
      return storedValues(raw, storedBitpix, count)
    }
    case 'NOCOMPRESS':
      return storedValues(cell, storedBitpix, count)
    default:
      throw new FitsError('FITS_UNSUPPORTED', `tile compression ${type === '' ? '(none named)' : type}`)
  }
}

/** §10.1.2: a tile that could not be compressed sits in GZIP_COMPRESSED_DATA or UNCOMPRESSED_DATA instead. */
function fallbackTile(context: TileContext, row: number, zbitpix: number, count: number): TileValues {
  const size = Math.abs(zbitpix) / 8
  const gzipped = context.columns.get('GZIP_COMPRESSED_DATA')
  if (gzipped !== undefined) {
    const cell = heapCell(context, row, gzipped)
    if (cell.length > 0) return storedValues(inflateTile(cell, count * size, row), zbitpix, count)
  }
  const raw = context.columns.get('UNCOMPRESSED_DATA')
  if (raw !== undefined) {
    const cell = heapCell(context, row, raw)
    if (cell.length > 0) return storedValues(cell, raw.elementBitpix ?? zbitpix, count)
  }
  throw new FitsError('FITS_BAD_TILE', `tile ${row + 1} has no data`)
}

function storedValues(raw: Uint8Array, bitpix: number, count: number): TileValues {
  const size = Math.abs(bitpix) / 8
  if (raw.length < count * size) throw new FitsError('FITS_BAD_TILE', `tile holds ${raw.length} bytes, ${count * size} expected`)
  if (bitpix === 8) return raw.subarray(0, count)
  if (bitpix === 16) return typed(new Int16Array(count), raw, 2)
  if (bitpix === 32) return typed(new Int32Array(count), raw, 4)
  if (bitpix === -32) return typed(new Float32Array(count), raw, 4)
  if (bitpix === -64) return typed(new Float64Array(count), raw, 8)
  // 64-bit integer tiles: through the plain decoder, whose float32 result stands in for the values.
  return decodePixels(raw, 0, 64, count, { bscale: 1, bzero: 0 })
}

function typed<T extends Int16Array | Int32Array | Float32Array | Float64Array>(out: T, raw: Uint8Array, size: 2 | 4 | 8): T {
  swapInto(out, raw.subarray(0, out.length * size), size)
  return out
}

/** Inflates a gzip (or zlib) tile, never to more than the tile's own size. */
function inflateTile(cell: Uint8Array, expected: number, row: number): Uint8Array {
  try {
    return unzipSync(cell, { maxOutputLength: Math.max(expected, 1) })
  } catch (error) {
    const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
    throw new FitsError('FITS_BAD_TILE', `tile ${row + 1} ${tooLarge ? 'inflates beyond its size' : 'is not valid gzip'}`, { cause: error })
  }
}

/** GZIP_2 stores the most significant bytes of all values first, then the next ones (§10.4.4). */
function unshuffle(raw: Uint8Array, size: number): Uint8Array {
  if (size === 1) return raw
  const n = Math.floor(raw.length / size)
  const out = new Uint8Array(n * size)
  for (let j = 0; j < size; j++) {
    const plane = j * n
    for (let i = 0; i < n; i++) out[i * size + j] = raw[plane + i]!
  }
  return out
}

/** A ZNAMEi/ZVALi parameter of the compression (RICE_1's BLOCKSIZE and BYTEPIX). */
function compressionParameter(hdu: Hdu, name: string, fallback: number): number {
  for (let i = 1; i < 100; i++) {
    const key = hdu.lookup.get(`ZNAME${i}`)
    if (key === undefined) break
    if (typeof key === 'string' && key.trim() === name) {
      const value = hdu.lookup.get(`ZVAL${i}`)
      return typeof value === 'number' ? value : fallback
    }
  }
  return fallback
}

/**
 * Quantized integers back to floats (§10.2): value × ZSCALE + ZZERO, with the dither's random offset subtracted.
 * The offsets walk the convention's table of 10,000 values from a start that depends on the tile and ZDITHER0,
 * exactly as CFITSIO's unquantize routines do, so the result equals astropy's to the last bit.
 */
function unquantize(values: TileValues, out: Float32Array, context: TileContext, row: number, quantize: string, ditherSeed: number): void {
  const zscaleColumn = context.columns.get('ZSCALE')
  const zzeroColumn = context.columns.get('ZZERO')
  const zscale = zscaleColumn === undefined ? Number(context.hdu.lookup.get('ZSCALE') ?? 1) : scalarCell(context, row, zscaleColumn)
  const zzero = zzeroColumn === undefined ? Number(context.hdu.lookup.get('ZZERO') ?? 0) : scalarCell(context, row, zzeroColumn)
  const blankColumn = context.columns.get('ZBLANK')
  const blankKeyword = context.hdu.lookup.get('ZBLANK')
  const blank =
    blankColumn !== undefined ? scalarCell(context, row, blankColumn) : typeof blankKeyword === 'number' ? blankKeyword : Number.NaN
  const dither = quantize === 'SUBTRACTIVE_DITHER_1' || quantize === 'SUBTRACTIVE_DITHER_2'
  const zeroKept = quantize === 'SUBTRACTIVE_DITHER_2'
  const n = out.length
  if (!dither) {
    for (let i = 0; i < n; i++) out[i] = values[i] === blank ? Number.NaN : values[i]! * zscale + zzero
    return
  }
  let iseed = ditherOffset(row + 1, ditherSeed)
  let next = Math.floor(DITHER_RANDOMS[iseed]! * 500)
  for (let i = 0; i < n; i++) {
    const value = values[i]!
    if (value === blank) out[i] = Number.NaN
    else if (zeroKept && value === ZERO_VALUE) out[i] = 0
    else out[i] = (value - DITHER_RANDOMS[next]! + 0.5) * zscale + zzero
    next++
    if (next === N_RANDOM) {
      iseed = (iseed + 1) % N_RANDOM
      next = Math.floor(DITHER_RANDOMS[iseed]! * 500)
    }
  }
}
