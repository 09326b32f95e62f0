/**
 * Plain-text tables for operator commands (`imgpipe db show`, `imgpipe store list`): aligned columns,
 * long values cut with '…', and, when a width is given (the terminal's), only the columns that fit, in
 * the caller's order of importance, or a vertical "record" layout when too few would.
 *
 * Values may come from anyone who could write a row or an object key, so every cell is made inert:
 * control characters and bidirectional overrides are shown escaped, never sent to the terminal.
 */

import { safeText } from './terminal-text.js'

export { safeText }
import { padToWidth, terminalWidth, truncateToWidth } from './terminal-width.js'

export interface TableColumn {
  header: string
  align?: 'left' | 'right'
}

export interface TableOptions {
  /** Total width to fit in, e.g. the terminal's columns; unlimited when absent. */
  maxWidth?: number | undefined
  /** Longest a cell may be before it is cut with '…' (default {@link DEFAULT_MAX_CELL_WIDTH}). */
  maxCellWidth?: number
  /** Column indices in the order they are kept when not all fit; unlisted columns come last. Default: left to right. */
  priority?: readonly number[]
}

export interface FormattedTable {
  lines: string[]
  /** Headers of the columns left out to fit `maxWidth`, most important first. */
  omitted: string[]
}

export const DEFAULT_MAX_CELL_WIDTH = 40
/** A column is never squeezed below this (or its natural width, when smaller). */
const MIN_COLUMN_WIDTH = 8
/** Share of its natural width a column keeps at least when squeezed into a terminal. */
const SQUEEZE = 0.75
const GAP = '  '

/**
 * How one value reads in a table: NULL for SQL nulls, ISO-8601 for dates, fractions to 6 significant
 * digits (full precision is what `--json` is for), JSON for anything structured.
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)))
  if (typeof value === 'string') return safeText(value)
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`
  return safeText(JSON.stringify(value) ?? String(value))
}

/**
 * Lays out `rows` (already turned into text, see cellText) under `columns`. Without `maxWidth` every
 * column is shown; with it, see fitColumns.
 */
export function formatTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): FormattedTable {
  const cap = options.maxCellWidth ?? DEFAULT_MAX_CELL_WIDTH
  const headers = columns.map((column) => safeText(column.header))
  const natural = columns.map((_, index) =>
    Math.min(
      cap,
      rows.reduce((widest, row) => Math.max(widest, terminalWidth(row[index] ?? '')), terminalWidth(headers[index] ?? '')),
    ),
  )
  const order = priorityOrder(columns.length, options.priority)
  const widths = new Map<number, number>()
  const maxWidth = options.maxWidth
  if (maxWidth === undefined) {
    order.forEach((index) => widths.set(index, natural[index] ?? 0))
  } else {
    fitColumns(order, natural, maxWidth, widths)
  }
  const shown = columns.map((_, index) => index).filter((index) => widths.has(index))

  const render = (cells: readonly string[]): string =>
    shown
      .map((index) => {
        const width = widths.get(index) ?? 0
        return padToWidth(truncateToWidth(cells[index] ?? '', width), width, columns[index]?.align ?? 'left')
      })
      .join(GAP)
      .trimEnd()
  const lines = [render(headers), shown.map((index) => '-'.repeat(widths.get(index) ?? 0)).join(GAP)]
  for (const row of rows) lines.push(render(row))
  const omitted = order.filter((index) => !widths.has(index)).map((index) => headers[index] ?? '')
  return { lines, omitted }
}

/**
 * Chooses the columns for `maxWidth` in priority order: each that fits whole is kept whole; one that
 * does not is kept cut to the room left if that is most of its width, else left out (and a lesser,
 * narrower one may still fit). So a column is only ever cut in favour of more important ones.
 */
function fitColumns(order: readonly number[], natural: readonly number[], maxWidth: number, widths: Map<number, number>): void {
  let used = 0
  for (const index of order) {
    const width = natural[index] ?? 0
    const gap = widths.size === 0 ? 0 : GAP.length
    const room = maxWidth - used - gap
    const floor = Math.min(width, Math.max(MIN_COLUMN_WIDTH, Math.ceil(width * SQUEEZE)))
    // The most important column is always shown, cut to the width if it must be.
    if (room < floor && widths.size > 0) continue
    const kept = Math.max(1, Math.min(width, room))
    widths.set(index, kept)
    used += gap + kept
  }
}

function priorityOrder(count: number, priority: readonly number[] | undefined): number[] {
  const order: number[] = []
  for (const index of priority ?? []) {
    if (index >= 0 && index < count && !order.includes(index)) order.push(index)
  }
  for (let index = 0; index < count; index += 1) if (!order.includes(index)) order.push(index)
  return order
}

/**
 * The vertical layout (one "label  value" line per column, a title line per row), for terminals too
 * narrow for a table or when every column is wanted. Values are cut only to fit `maxWidth`.
 */
export function formatRecords(
  columns: readonly string[],
  rows: readonly (readonly string[])[],
  options: { maxWidth?: number | undefined; title: (rowIndex: number) => string },
): string[] {
  const labels = columns.map(safeText)
  const labelWidth = labels.reduce((widest, label) => Math.max(widest, terminalWidth(label)), 0)
  const valueWidth = options.maxWidth === undefined ? Number.POSITIVE_INFINITY : Math.max(8, options.maxWidth - labelWidth - GAP.length)
  const lines: string[] = []
  rows.forEach((row, rowIndex) => {
    const title = `-[ ${safeText(options.title(rowIndex))} ]`
    lines.push(
      options.maxWidth === undefined
        ? title
        : truncateToWidth(title + '-'.repeat(Math.max(0, options.maxWidth - terminalWidth(title))), options.maxWidth),
    )
    labels.forEach((label, index) => {
      const value = row[index] ?? ''
      lines.push(
        `${padToWidth(label, labelWidth, 'left')}${GAP}${Number.isFinite(valueWidth) ? truncateToWidth(value, valueWidth) : value}`.trimEnd(),
      )
    })
  })
  return lines
}

/** Whether a table should give way to records: it would show fewer than `minColumns` of its columns. */
export function tooNarrowForTable(table: FormattedTable, columnCount: number, minColumns = 3): boolean {
  return table.omitted.length > 0 && columnCount - table.omitted.length < Math.min(minColumns, columnCount)
}

/** The width to fit output to: the explicit one, else the terminal's when stdout is one, else unlimited. */
export function outputWidth(explicit?: number): number | undefined {
  if (explicit !== undefined) return explicit
  return process.stdout.isTTY === true && process.stdout.columns > 0 ? process.stdout.columns : undefined
}
