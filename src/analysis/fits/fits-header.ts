/**
 * FITS header units: 2880-byte blocks of 80-character ASCII records (FITS Standard 4.0, §3.3, §4.1–4.2), parsed into
 * {@link HeaderCard}s and formatted back for the writer.
 *
 * Parsing is strict where a hostile file could cost memory or time (no END, non-ASCII bytes, more header blocks than a
 * limit) and lenient where real files are sloppy (free-format values, lower-case `d` exponents, HIERARCH keywords).
 */
import { FitsError, InternalError } from '../../core/errors.js'
import type { CardValue, HeaderCard } from './header-card.js'

export const FITS_BLOCK = 2880
export const FITS_RECORD = 80

/** Default limit on the blocks of one header: 1000 blocks are 36,000 cards, far more than any real header. */
export const DEFAULT_MAX_HEADER_BLOCKS = 1000

export interface ParsedHeader {
  cards: HeaderCard[]
  /** Bytes the header unit occupies, END's block included (a multiple of 2880). */
  size: number
}

const COMMENTARY = new Set(['COMMENT', 'HISTORY', ''])
const KEYWORD = /^[A-Z0-9_-]{0,8}$/

/** Parses the header unit that starts at `offset`; throws a {@link FitsError} with the reason when it is malformed. */
export function parseHeader(bytes: Uint8Array, offset: number, maxBlocks = DEFAULT_MAX_HEADER_BLOCKS): ParsedHeader {
  const cards: HeaderCard[] = []
  for (let block = 0; ; block++) {
    const start = offset + block * FITS_BLOCK
    if (block >= maxBlocks) throw new FitsError('FITS_TOO_MANY_BLOCKS', `header at byte ${offset} has more than ${maxBlocks} blocks`)
    if (start + FITS_BLOCK > bytes.length) {
      throw new FitsError('FITS_NO_END', `header at byte ${offset} ends after ${block} blocks without an END card`)
    }
    for (let record = start; record < start + FITS_BLOCK; record += FITS_RECORD) {
      const text = asciiRecord(bytes, record)
      if (text.startsWith('END     ') && text.slice(8).trim() === '') {
        joinContinuedStrings(cards)
        return { cards, size: (block + 1) * FITS_BLOCK }
      }
      cards.push(parseRecord(text))
    }
  }
}

/** The 80 bytes at `at` as a string; §4.1.1 allows only ASCII text (0x20–0x7E) in a header. */
function asciiRecord(bytes: Uint8Array, at: number): string {
  for (let i = at; i < at + FITS_RECORD; i++) {
    const byte = bytes[i]!
    if (byte < 0x20 || byte > 0x7e) throw new FitsError('FITS_NOT_ASCII', `header byte ${i} is 0x${byte.toString(16)}, not printable ASCII`)
  }
  return String.fromCharCode(...bytes.subarray(at, at + FITS_RECORD))
}

/** One record into a card (§4.1.2): keyword in columns 1–8, value indicator `= ` in 9–10, value and comment after. */
export function parseRecord(text: string): HeaderCard {
  let keyword = text.slice(0, 8).trimEnd()
  let field: string
  if (keyword === 'HIERARCH' && text.includes('=')) {
    // ESO's HIERARCH convention: the keyword runs up to the `=`.
    const equals = text.indexOf('=')
    keyword = text.slice(9, equals).trim().toUpperCase()
    field = text.slice(equals + 1)
  } else if (keyword === 'CONTINUE') {
    // §4.2.1.2: a CONTINUE record has no value indicator; its string starts in column 11.
    const parsed = parseValue(text.slice(8))
    return { keyword, value: parsed.value, ...(parsed.comment === undefined ? {} : { comment: parsed.comment }) }
  } else if (COMMENTARY.has(keyword) || text.slice(8, 10) !== '= ') {
    return { keyword: keyword.toUpperCase(), comment: text.slice(8).trimEnd() }
  } else {
    field = text.slice(10)
  }
  const parsed = parseValue(field)
  const card: HeaderCard = { keyword: keyword.toUpperCase(), value: parsed.value }
  if (parsed.comment !== undefined) card.comment = parsed.comment
  return card
}

interface ParsedValue {
  value: CardValue
  comment?: string
}

/** A value field (§4.2): a quoted string with `''` for a quote, or a number, logical or nothing, then `/ comment`. */
function parseValue(field: string): ParsedValue {
  const trimmed = field.trimStart()
  let rest: string
  let value: CardValue
  if (trimmed.startsWith("'")) {
    let text = ''
    let i = 1
    for (;;) {
      const quote = trimmed.indexOf("'", i)
      if (quote < 0) {
        // An unterminated string: keep what is there, as astropy does, rather than refuse the file.
        text += trimmed.slice(i)
        i = trimmed.length
        break
      }
      text += trimmed.slice(i, quote)
      if (trimmed[quote + 1] === "'") {
        text += "'"
        i = quote + 2
      } else {
        i = quote + 1
        break
      }
    }
    // §4.2.1.1: trailing spaces in a string are not significant, leading ones are.
    value = text.trimEnd()
    rest = trimmed.slice(i)
  } else {
    const slash = trimmed.indexOf('/')
    const raw = (slash < 0 ? trimmed : trimmed.slice(0, slash)).trim()
    rest = slash < 0 ? '' : trimmed.slice(slash)
    value = parseScalar(raw)
  }
  const slash = rest.indexOf('/')
  if (slash < 0) return { value }
  const comment = rest.slice(slash + 1).trim()
  return comment === '' ? { value } : { value, comment }
}

const INTEGER = /^[+-]?\d+$/
const REAL = /^[+-]?(\d+\.?\d*|\.\d+)([ED][+-]?\d+)?$/

/** A non-string value: nothing (undefined, §4.2.1), T/F, an integer (bigint beyond 2^53), a real (`D` exponent too). */
function parseScalar(raw: string): CardValue {
  if (raw === '') return null
  if (raw === 'T') return true
  if (raw === 'F') return false
  if (INTEGER.test(raw)) {
    const number = Number(raw)
    return Number.isSafeInteger(number) ? number : BigInt(raw)
  }
  const upper = raw.toUpperCase()
  if (REAL.test(upper)) return Number(upper.replace('D', 'E'))
  // Complex values `(re, im)` and anything else unparseable are kept as their text.
  return raw
}

/**
 * The long-string convention (§4.2.1.2): a string ending in `&` continues in the next CONTINUE card's string.
 * The CONTINUE cards are folded into the first card; a comment on any of them joins the card's comment.
 */
function joinContinuedStrings(cards: HeaderCard[]): void {
  for (let i = 0; i < cards.length; i++) {
    const card = cards[i]!
    if (typeof card.value !== 'string' || card.keyword === 'CONTINUE') continue
    let j = i + 1
    const comments = card.comment === undefined ? [] : [card.comment]
    while (typeof card.value === 'string' && card.value.endsWith('&') && cards[j]?.keyword === 'CONTINUE') {
      const next = cards[j]!
      const piece = typeof next.value === 'string' ? next.value : ''
      card.value = card.value.slice(0, -1) + piece
      if (next.comment !== undefined) comments.push(next.comment)
      j++
    }
    if (j > i + 1) {
      if (comments.length > 0) card.comment = comments.join(' ')
      cards.splice(i + 1, j - i - 1)
    }
  }
}

/** Formats cards into a header unit: the records, an END record, and spaces to a whole number of blocks (§4.4.1). */
export function formatHeader(cards: readonly HeaderCard[]): Uint8Array {
  const records = cards.flatMap(formatCard)
  records.push('END'.padEnd(FITS_RECORD))
  const blocks = Math.ceil((records.length * FITS_RECORD) / FITS_BLOCK)
  const out = new Uint8Array(blocks * FITS_BLOCK).fill(0x20)
  out.set(Buffer.from(records.join(''), 'latin1'))
  return out
}

/** One card as one or more 80-character records (long strings and long commentary take several). */
export function formatCard(card: HeaderCard): string[] {
  const keyword = card.keyword.toUpperCase()
  if (!KEYWORD.test(keyword)) throw new InternalError(`FITS keyword ${JSON.stringify(card.keyword)} is not 1–8 of A–Z 0–9 - _`)
  checkAscii(card.comment ?? '', keyword)
  if (card.value === undefined) {
    // Commentary (§4.4.2.4): text in columns 9–80, split over as many records as it takes.
    const text = card.comment ?? ''
    const records: string[] = []
    for (let i = 0; i === 0 || i < text.length; i += 72) records.push((keyword.padEnd(8) + text.slice(i, i + 72)).padEnd(FITS_RECORD))
    return records
  }
  if (typeof card.value === 'string') return formatString(keyword, card.value, card.comment)
  return [withComment(`${keyword.padEnd(8)}= ${formatScalar(card.value, keyword).padStart(20)}`, card.comment)]
}

function formatScalar(value: Exclude<CardValue, string>, keyword: string): string {
  if (value === null) return ''
  if (typeof value === 'boolean') return value ? 'T' : 'F'
  if (typeof value === 'bigint') return value.toString()
  if (!Number.isFinite(value)) throw new InternalError(`FITS card ${keyword} cannot hold ${value}`)
  if (Object.is(value, -0)) return '-0.0'
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return value.toFixed(0)
  // §4.2.4: a real has a decimal point or an exponent; the exponent letter is upper case.
  const text = String(value).toUpperCase()
  const [mantissa, exponent] = text.split('E') as [string, string | undefined]
  const withPoint = mantissa.includes('.') ? mantissa : `${mantissa}.0`
  return exponent === undefined ? withPoint : `${withPoint}E${exponent}`
}

/** A string value (§4.2.1.1), padded to 8 characters, continued over CONTINUE records beyond 68 (§4.2.1.2). */
function formatString(keyword: string, value: string, comment: string | undefined): string[] {
  checkAscii(value, keyword)
  const escaped = value.replace(/'/g, "''")
  if (escaped.length <= 68) return [withComment(`${keyword.padEnd(8)}= '${escaped.padEnd(8)}'`, comment)]
  // Pieces of at most 67 escaped characters (68 with the `&`), never splitting an escaped quote. A piece also ends
  // after a quote that a space follows: astropy 5.2 reads a CONTINUE record's string only up to a quote and a space.
  const pieces: string[] = []
  let piece = ''
  for (let i = 0; i < value.length; i++) {
    const char = value[i] === "'" ? "''" : value[i]!
    if (piece.length + char.length > 67) {
      pieces.push(piece)
      piece = ''
    }
    piece += char
    if (char === "''" && value[i + 1] === ' ') {
      pieces.push(piece)
      piece = ''
    }
  }
  if (piece !== '') pieces.push(piece)
  return pieces.map((piece, i) => {
    const last = i === pieces.length - 1
    const head = i === 0 ? `${keyword.padEnd(8)}= ` : 'CONTINUE  '
    const record = `${head}'${piece}${last ? '' : '&'}'`
    return last ? withComment(record, comment) : record.padEnd(FITS_RECORD)
  })
}

/** Appends ` / comment` when it fits in the record (a comment too long is cut, as cfitsio does). */
function withComment(record: string, comment: string | undefined): string {
  if (comment === undefined || comment === '' || record.length > FITS_RECORD - 4) return record.padEnd(FITS_RECORD).slice(0, FITS_RECORD)
  return `${record} / ${comment}`.slice(0, FITS_RECORD).padEnd(FITS_RECORD)
}

function checkAscii(text: string, keyword: string): void {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new InternalError(`FITS card ${keyword} holds characters other than printable ASCII`)
}
