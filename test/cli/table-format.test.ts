import { describe, expect, it } from 'vitest'
import { cellText, formatRecords, formatTable, outputWidth, safeText, tooNarrowForTable } from '../../src/cli/table-format.js'
import { terminalWidth } from '../../src/cli/terminal-width.js'

/** The column at which each of `words` starts in `line`. */
function starts(line: string, words: readonly string[]): number[] {
  return words.map((word) => line.indexOf(word))
}

describe('cellText', () => {
  it('shows nulls, dates, numbers, booleans and structures readably', () => {
    expect(cellText(null)).toBe('NULL')
    expect(cellText(undefined)).toBe('NULL')
    expect(cellText(new Date('2025-01-02T03:04:05.678Z'))).toBe('2025-01-02T03:04:05.678Z')
    expect(cellText(42)).toBe('42')
    expect(cellText(0.123456789)).toBe('0.123457')
    expect(cellText(1234567.891)).toBe('1234570')
    expect(cellText(10n)).toBe('10')
    expect(cellText(true)).toBe('true')
    expect(cellText({ a: 1 })).toBe('{"a":1}')
    expect(cellText(Buffer.alloc(3))).toBe('<3 bytes>')
  })

  it('never lets a value drive the terminal: control characters and bidi overrides are escaped', () => {
    expect(cellText('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd')
    expect(cellText('\u001b[31mred\u001b[0m')).toBe('\\u{1b}[31mred\\u{1b}[0m')
    expect(cellText('\u009b2J')).toBe('\\u{9b}2J')
    expect(safeText('abc\u202egnp.exe')).toBe('abc\\u{202e}gnp.exe')
    expect(cellText('plain ünïcødé 日本')).toBe('plain ünïcødé 日本')
  })
})

describe('formatTable', () => {
  const columns = [{ header: 'id', align: 'right' as const }, { header: 'name' }, { header: 'note' }]
  const rows = [
    ['1', 'alpha', 'short'],
    ['22', 'b', 'a much longer note than the others'],
  ]

  it('aligns every column under its header, numbers to the right, with a rule under the headers', () => {
    const { lines, omitted } = formatTable(columns, rows)
    expect(omitted).toEqual([])
    expect(lines).toEqual([
      'id  name   note',
      '--  -----  ----------------------------------',
      ' 1  alpha  short',
      '22  b      a much longer note than the others',
    ])
  })

  it('cuts values longer than the cell limit with …', () => {
    const { lines } = formatTable(columns, rows, { maxCellWidth: 10 })
    expect(lines[3]).toBe('22  b      a much lo…')
    expect(lines.every((line) => terminalWidth(line) <= 2 + 2 + 5 + 2 + 10)).toBe(true)
  })

  it('keeps the most important columns whole in a narrow width and names the ones left out', () => {
    const { lines, omitted } = formatTable(columns, rows, { maxWidth: 12, priority: [1, 0, 2] })
    expect(omitted).toEqual(['note'])
    expect(lines).toEqual(['id  name', '--  -----', ' 1  alpha', '22  b'])
  })

  it('cuts a column to the room left when that is most of it, never wider than the width', () => {
    const wide = [['1', 'x'.repeat(30)]]
    const { lines, omitted } = formatTable([{ header: 'id' }, { header: 'value' }], wide, { maxWidth: 30 })
    expect(omitted).toEqual([])
    expect(lines.every((line) => terminalWidth(line) <= 30)).toBe(true)
    expect(lines[2]).toBe(`1   ${'x'.repeat(25)}…`)
  })

  it('lets a narrower, lesser column take the room a wide one cannot use', () => {
    const table = formatTable([{ header: 'a' }, { header: 'long' }, { header: 'b' }], [['1', 'y'.repeat(40), '2']], { maxWidth: 10 })
    expect(table.omitted).toEqual(['long'])
    expect(table.lines[0]).toBe('a  b')
  })

  it('shows the first column even when it alone is wider than the width', () => {
    const { lines } = formatTable([{ header: 'key' }], [['z'.repeat(50)]], { maxWidth: 10 })
    expect(lines[2]).toBe(`${'z'.repeat(9)}…`)
  })

  it('aligns wide characters by their terminal width', () => {
    const { lines } = formatTable(
      [{ header: 'name' }, { header: 'n' }],
      [
        ['日本', '1'],
        ['ab', '2'],
      ],
    )
    expect(terminalWidth(lines[2]!.slice(0, lines[2]!.indexOf('1')))).toBe(terminalWidth(lines[3]!.slice(0, lines[3]!.indexOf('2'))))
  })

  it('escapes headers too', () => {
    expect(formatTable([{ header: 'a\u001bb' }], [['x']]).lines[0]).toBe('a\\u{1b}b')
  })

  it('keeps columns in their own order whatever their priority', () => {
    const { lines } = formatTable(columns, rows, { priority: [2, 1, 0] })
    expect(starts(lines[0]!, ['id', 'name', 'note'])).toEqual([0, 4, 11])
  })
})

describe('formatRecords', () => {
  it('prints one line per column under a title per row, labels aligned', () => {
    const lines = formatRecords(
      ['image_id', 'status'],
      [
        ['1', 'analyzed'],
        ['2', 'failed'],
      ],
      { title: (index) => `row ${index + 1}` },
    )
    expect(lines).toEqual(['-[ row 1 ]', 'image_id  1', 'status    analyzed', '-[ row 2 ]', 'image_id  2', 'status    failed'])
  })

  it('fits values and title rules to a width', () => {
    const lines = formatRecords(['key'], [['k'.repeat(100)]], { maxWidth: 30, title: () => 'object' })
    expect(lines[0]).toBe(`-[ object ]${'-'.repeat(19)}`)
    expect(lines[1]).toBe(`key  ${'k'.repeat(24)}…`)
  })
})

describe('tooNarrowForTable', () => {
  it('says a table that kept fewer than three of its columns should give way to records', () => {
    const cells = [['1', '2', '3', '4']]
    const headers = ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc', 'dddddddddd'].map((header) => ({ header }))
    expect(tooNarrowForTable(formatTable(headers, cells, { maxWidth: 20 }), 4)).toBe(true)
    expect(tooNarrowForTable(formatTable(headers, cells, { maxWidth: 40 }), 4)).toBe(false)
    expect(tooNarrowForTable(formatTable(headers, cells), 4)).toBe(false)
  })
})

describe('outputWidth', () => {
  it('uses an explicit width, and no limit when stdout is not a terminal', () => {
    expect(outputWidth(72)).toBe(72)
    if (process.stdout.isTTY !== true) expect(outputWidth()).toBeUndefined()
  })
})
