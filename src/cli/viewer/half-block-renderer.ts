import { assertRawImage, type RawImage } from '../../analysis/decode-image.js'

/**
 * Pictures in a terminal with 24-bit colour "half blocks": each character cell shows two pixels stacked,
 * the upper one as the foreground colour of `▀` (UPPER HALF BLOCK) and the lower one as the background.
 * A cell is about twice as tall as it is wide, so each half is close to square and an image keeps its
 * aspect ratio when one pixel maps to one column. Works in any terminal with true colour, also over SSH.
 */

/** The character whose upper half is drawn in the foreground colour. */
export const HALF_BLOCK = '▀'

/** Resets every attribute; ends each rendered line so nothing bleeds into the gap or the next line. */
export const RESET = '\x1b[0m'

/** Back to the terminal's own background, for the missing lower half of an odd last row. */
export const DEFAULT_BACKGROUND = '\x1b[49m'

/** `ESC[38;2;r;g;bm`: 24-bit foreground colour. */
export function foreground(r: number, g: number, b: number): string {
  return `\x1b[38;2;${r};${g};${b}m`
}

/** `ESC[48;2;r;g;bm`: 24-bit background colour. */
export function background(r: number, g: number, b: number): string {
  return `\x1b[48;2;${r};${g};${b}m`
}

/**
 * Renders an image as ⌈height / 2⌉ text rows of `width` half blocks each. A colour is only written when
 * it differs from the previous cell's, which keeps flat areas (the teddy bear's background, most of a
 * difference image) cheap over a slow link. An odd last row has no lower pixel: its lower half is left
 * in the terminal's background colour. Every row ends with {@link RESET}.
 */
export function renderHalfBlocks(image: RawImage): string[] {
  assertRawImage(image)
  const { width, height, data } = image
  const rows: string[] = []
  for (let top = 0; top < height; top += 2) {
    const hasLower = top + 1 < height
    let line = ''
    let lastForeground = ''
    let lastBackground = ''
    for (let x = 0; x < width; x += 1) {
      const upper = (top * width + x) * 3
      const fg = foreground(data[upper] ?? 0, data[upper + 1] ?? 0, data[upper + 2] ?? 0)
      let bg = DEFAULT_BACKGROUND
      if (hasLower) {
        const lower = ((top + 1) * width + x) * 3
        bg = background(data[lower] ?? 0, data[lower + 1] ?? 0, data[lower + 2] ?? 0)
      }
      if (fg !== lastForeground) line += fg
      if (bg !== lastBackground) line += bg
      line += HALF_BLOCK
      lastForeground = fg
      lastBackground = bg
    }
    rows.push(line + RESET)
  }
  return rows
}
