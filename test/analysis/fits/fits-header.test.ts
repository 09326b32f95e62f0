import { describe, expect, it } from 'vitest'
import { formatCard, formatHeader, parseHeader, parseRecord } from '../../../src/analysis/fits/fits-header.js'
import type { HeaderCard } from '../../../src/analysis/fits/header-card.js'
import { headerBytes, reasonOf } from './fits-bytes.js'

describe('parseRecord', () => {
  it('reads strings with doubled quotes, significant leading and insignificant trailing spaces', () => {
    expect(parseRecord("OBJECT  = 'O''Brien''s field'   / with quotes")).toEqual({
      keyword: 'OBJECT',
      value: "O'Brien's field",
      comment: 'with quotes',
    })
    expect(parseRecord("PADDED  = '  lead  '").value).toBe('  lead')
    expect(parseRecord("EMPTY   = ''").value).toBe('')
    expect(parseRecord("SLASH   = 'a/b' / the slash is in the string").value).toBe('a/b')
  })

  it('reads integers (bigint beyond 2^53), reals with E or D exponents, logicals and undefined values', () => {
    expect(parseRecord('NAXIS1  =                 4096 / width').value).toBe(4096)
    expect(parseRecord('NEG     =                  -17').value).toBe(-17)
    expect(parseRecord('BIG     = 9223372036854775807').value).toBe(9223372036854775807n)
    expect(parseRecord('EDGE    =     9007199254740993').value).toBe(9007199254740993n)
    expect(parseRecord('REAL    =       -1.25E+03').value).toBe(-1250)
    expect(parseRecord('DOUBLE  =   1.5D-3 / Fortran style').value).toBe(0.0015)
    expect(parseRecord('LOWER   =   2.5d2').value).toBe(250)
    expect(parseRecord('POINT   =   .5').value).toBe(0.5)
    expect(parseRecord('SIMPLE  =                    T').value).toBe(true)
    expect(parseRecord('EXTEND  =                    F / no').value).toBe(false)
    expect(parseRecord('UNDEF   =                      / nothing here')).toEqual({ keyword: 'UNDEF', value: null, comment: 'nothing here' })
  })

  it('keeps commentary text, HIERARCH keywords, and treats a card without `= ` as commentary', () => {
    expect(parseRecord('HISTORY   flat-fielded with  twilight flats')).toEqual({
      keyword: 'HISTORY',
      comment: '  flat-fielded with  twilight flats',
    })
    expect(parseRecord('COMMENT')).toEqual({ keyword: 'COMMENT', comment: '' })
    expect(parseRecord('HIERARCH ESO DET CHIP TEMP = 172.5 / kelvin')).toEqual({
      keyword: 'ESO DET CHIP TEMP',
      value: 172.5,
      comment: 'kelvin',
    })
    expect(parseRecord('NOVALUE   = not a value indicator')).toEqual({ keyword: 'NOVALUE', comment: '  = not a value indicator' })
  })
})

describe('parseHeader', () => {
  it('joins CONTINUE long strings and reports the header size in whole blocks', () => {
    const records = [
      'SIMPLE  =                    T',
      "LONGSTR = 'This is a long string value that needs more than one record to be &'",
      "CONTINUE  'written in full, '' quotes too&'",
      "CONTINUE  ' and ends here.' / the comment",
      'HISTORY one',
      ...Array.from({ length: 40 }, (_, i) => `KEY${i}    = ${i}`),
    ]
    const { cards, size } = parseHeader(headerBytes(records), 0)
    expect(size).toBe(2 * 2880)
    expect(cards[1]).toEqual({
      keyword: 'LONGSTR',
      value: "This is a long string value that needs more than one record to be written in full, ' quotes too and ends here.",
      comment: 'the comment',
    })
    expect(cards[2]).toEqual({ keyword: 'HISTORY', comment: 'one' })
    expect(cards).toHaveLength(3 + 40)
  })

  it('fails without END, on bytes that are not printable ASCII, and past the block limit', () => {
    expect(reasonOf(() => parseHeader(headerBytes(['SIMPLE  =                    T'], false), 0))).toBe('FITS_NO_END')
    expect(reasonOf(() => parseHeader(new Uint8Array(100).fill(0x20), 0))).toBe('FITS_NO_END')
    const accented = headerBytes(["OBJECT  = 'Crab'"])
    accented[13] = 0xe9
    expect(reasonOf(() => parseHeader(accented, 0))).toBe('FITS_NOT_ASCII')
    const tab = headerBytes(['COMMENT a\ttab'])
    expect(reasonOf(() => parseHeader(tab, 0))).toBe('FITS_NOT_ASCII')
    const long = headerBytes(Array.from({ length: 36 * 3 }, () => 'COMMENT filler'))
    expect(reasonOf(() => parseHeader(long, 0, 3))).toBe('FITS_TOO_MANY_BLOCKS')
    expect(parseHeader(long, 0, 4).cards).toHaveLength(108)
  })
})

describe('formatCard and formatHeader', () => {
  const cards: HeaderCard[] = [
    { keyword: 'SIMPLE', value: true, comment: 'standard' },
    { keyword: 'BITPIX', value: -32 },
    { keyword: 'CRVAL1', value: 150.1191666666667 },
    { keyword: 'TINY', value: 1.5e-300 },
    { keyword: 'HUGE', value: -2.5e300 },
    { keyword: 'WHOLE', value: 1e20 },
    { keyword: 'NEGZERO', value: -0 },
    { keyword: 'BIGINT', value: -9223372036854775808n },
    { keyword: 'OBJECT', value: "it's" },
    { keyword: 'LONG', value: `${'abc'.repeat(40)}'${'d'.repeat(30)}`, comment: 'long' },
    { keyword: 'UNDEF', value: null },
    { keyword: 'COMMENT', comment: 'x'.repeat(100) },
    { keyword: 'DATE-OBS', value: '2026-12-07T01:02:03.5' },
  ]

  it('writes records of 80 characters that parse back to the same values', () => {
    const bytes = formatHeader(cards)
    expect(bytes.length % 2880).toBe(0)
    const { cards: back } = parseHeader(bytes, 0)
    const values = new Map(back.filter((card) => card.value !== undefined).map((card) => [card.keyword, card.value]))
    for (const card of cards.filter((c) => c.value !== undefined)) expect(values.get(card.keyword), card.keyword).toEqual(card.value)
    expect(Object.is(values.get('NEGZERO'), -0)).toBe(true)
    expect(
      back
        .filter((card) => card.keyword === 'COMMENT')
        .map((card) => card.comment)
        .join(''),
    ).toBe('x'.repeat(100))
  })

  it('follows the fixed format: values right-aligned to column 30, strings padded to 8, reals with a point or exponent', () => {
    expect(formatCard({ keyword: 'NAXIS', value: 2 })[0]).toBe('NAXIS   =                    2'.padEnd(80))
    expect(formatCard({ keyword: 'XTENSION', value: 'IMAGE' })[0]).toBe("XTENSION= 'IMAGE   '".padEnd(80))
    expect(formatCard({ keyword: 'EXPTIME', value: 30 })[0]!.slice(10, 30).trim()).toBe('30')
    expect(formatCard({ keyword: 'GAIN', value: 2.0000001 })[0]!.slice(10, 30).trim()).toBe('2.0000001')
    expect(formatCard({ keyword: 'SMALL', value: 1e-7 })[0]!.slice(10, 30).trim()).toBe('1.0E-7')
    expect(formatCard({ keyword: 'LONG', value: 'x'.repeat(150) })).toHaveLength(3)
    expect(() => formatCard({ keyword: 'BAD KEY', value: 1 })).toThrow(/keyword/)
    expect(() => formatCard({ keyword: 'NAN', value: Number.NaN })).toThrow(/NaN/)
    expect(() => formatCard({ keyword: 'TEXT', value: 'café' })).toThrow(/ASCII/)
  })
})
