import stringWidth from 'string-width'

/**
 * Columns text takes on a terminal, for every layout the CLI draws (tables, the alert viewer's panels).
 * `string-width` knows East Asian wide characters, emoji and combining marks, and ignores ANSI escapes;
 * `.length` would count UTF-16 units, and counting code points gets `日本` or `e\u0301` wrong.
 */

const ELLIPSIS = '…'
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' })

/** Columns the text takes on screen: ANSI escapes take none, wide characters two, combining marks none. */
export function terminalWidth(text: string): number {
  return stringWidth(text)
}

/** Plain text cut to `width` columns, ending with `…` when something was cut; never splits a character. */
export function truncateToWidth(text: string, width: number): string {
  if (terminalWidth(text) <= width) return text
  if (width <= 0) return ''
  let kept = ''
  let used = 0
  for (const { segment } of graphemes.segment(text)) {
    const next = terminalWidth(segment)
    if (used + next > width - 1) break
    kept += segment
    used += next
  }
  return kept + ELLIPSIS
}

/** Text padded with spaces to at least `width` columns, on the right (`left` alignment) or the left. */
export function padToWidth(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - terminalWidth(text)))
  return align === 'right' ? fill + text : text + fill
}
