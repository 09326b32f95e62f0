import { InternalError } from '../../core/errors.js'
import { padToWidth, terminalWidth, truncateToWidth } from '../terminal-width.js'

/** One column of the viewer: a picture's text rows (may hold ANSI escapes) and the caption under it. */
export interface Panel {
  lines: string[]
  caption: string
  /** Width in terminal columns; no line may be wider, shorter lines and the caption are padded to it. */
  width: number
}

/**
 * Joins `segments` with `separator` into as few lines of at most `width` columns as it can, breaking only
 * between segments (a segment longer than a line is cut), so a header never depends on the terminal
 * wrapping it mid-word.
 */
export function wrapSegments(segments: readonly string[], separator: string, width: number): string[] {
  const lines: string[] = []
  let current = ''
  for (const segment of segments) {
    const candidate = current === '' ? segment : `${current}${separator}${segment}`
    if (terminalWidth(candidate) <= width || current === '') {
      current = candidate
    } else {
      lines.push(current)
      current = segment
    }
  }
  if (current !== '') lines.push(current)
  return lines.map((line) => truncateToWidth(line, width))
}

/** A caption's lines: wrapped between words to the panel's width, a word longer than that cut with `…`. */
export function wrapCaption(caption: string, width: number): string[] {
  const words = caption.split(' ').filter((word) => word !== '')
  return wrapSegments(words, ' ', width)
}

/**
 * Lays panels out side by side, `gap` spaces apart, top-aligned, each caption under the tallest picture
 * and starting in its panel's first column, wrapped between words when longer than the panel (so a
 * narrow terminal loses no part of it). Shorter pictures are padded with blank rows and narrower lines
 * with spaces, so panel i always starts in the same column; trailing spaces are dropped. Returns the
 * lines joined by `\n`, without a final newline.
 */
export function composePanels(panels: readonly Panel[], gap: number): string {
  if (!Number.isInteger(gap) || gap < 0) throw new InternalError(`panel gap must be an integer >= 0, got ${gap}`)
  for (const [index, panel] of panels.entries()) {
    if (!Number.isInteger(panel.width) || panel.width < 1) {
      throw new InternalError(`panel ${index} has an invalid width ${panel.width}`)
    }
    for (const line of panel.lines) {
      // A wider line would push every panel to its right out of place: a bug in the caller, not input.
      if (terminalWidth(line) > panel.width) {
        throw new InternalError(`panel ${index} has a line of ${terminalWidth(line)} columns, wider than ${panel.width}`)
      }
    }
  }
  const captionLines = panels.map((panel) => wrapCaption(panel.caption, panel.width))
  const pictureHeight = Math.max(0, ...panels.map((panel) => panel.lines.length))
  const captionHeight = Math.max(1, ...captionLines.map((lines) => lines.length))
  const spacer = ' '.repeat(gap)
  const rows: string[] = []
  for (let row = 0; row < pictureHeight + captionHeight; row += 1) {
    const cells = panels.map((panel, index) => {
      // Captions start on the same row for every panel, right under the tallest picture.
      const line = row < pictureHeight ? (panel.lines[row] ?? '') : (captionLines[index]?.[row - pictureHeight] ?? '')
      return padToWidth(line, panel.width)
    })
    rows.push(cells.join(spacer).trimEnd())
  }
  return rows.join('\n')
}
