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
 * How many colours the terminal shows: 24-bit, the xterm 256-colour palette, or none at all (`NO_COLOR`,
 * `TERM=dumb`, output to a file or pipe), where pictures are drawn in ASCII characters without escapes.
 */
export type ColourDepth = 'truecolor' | '256' | 'none'

/**
 * The depth for a stream as Node's `getColorDepth()` judges it from the environment (`NO_COLOR`,
 * `FORCE_COLOR`, `TERM`, `COLORTERM`, CI variables); anything that is not a terminal gets none. A 16-colour
 * terminal gets none too: 16 colours make a poorer picture than characters do.
 */
export function colourDepthOf(
  stream: { isTTY?: boolean; getColorDepth?: (env?: NodeJS.ProcessEnv) => number },
  env = process.env,
): ColourDepth {
  if (stream.isTTY !== true || typeof stream.getColorDepth !== 'function') return 'none'
  const bits = stream.getColorDepth(env)
  // Node 20 decides from TERM before COLORTERM, so tmux-256color with COLORTERM=truecolor reads as 256.
  const declaresTrueColour = bits >= 8 && /^(?:truecolor|24bit)$/i.test(env['COLORTERM'] ?? '')
  return bits >= 24 || declaresTrueColour ? 'truecolor' : bits >= 8 ? '256' : 'none'
}

/**
 * The viewer's depth, for every picture this process renders: a setting of the one terminal it writes to,
 * set once by the command (so the panel layout in between need not carry it).
 */
let currentDepth: ColourDepth = 'truecolor'

export function setColourDepth(depth: ColourDepth): void {
  currentDepth = depth
}

/** Nearest entry of the xterm palette: the 6×6×6 cube (16–231) or, for greys, the 24-step ramp (232–255). */
export function xterm256(r: number, g: number, b: number): number {
  if (Math.max(r, g, b) - Math.min(r, g, b) < 10) {
    const grey = Math.round((r + g + b) / 3)
    if (grey < 4) return 16
    if (grey > 246) return 231
    return 232 + Math.min(23, Math.round((grey - 8) / 10))
  }
  const level = (value: number): number => Math.round((value / 255) * 5)
  return 16 + 36 * level(r) + 6 * level(g) + level(b)
}

/** Characters from dark to bright: on a dark terminal background, denser reads brighter. */
const ASCII_RAMP = ' .:-=+*#%@'

function luminance(data: Uint8Array, offset: number): number {
  return 0.2126 * (data[offset] ?? 0) + 0.7152 * (data[offset + 1] ?? 0) + 0.0722 * (data[offset + 2] ?? 0)
}

/** One character per cell (two pixels stacked, averaged), from {@link ASCII_RAMP}; no escape at all. */
export function renderAscii(image: RawImage): string[] {
  assertRawImage(image)
  const { width, height, data } = image
  const rows: string[] = []
  for (let top = 0; top < height; top += 2) {
    let line = ''
    for (let x = 0; x < width; x += 1) {
      const upper = luminance(data, (top * width + x) * 3)
      const lower = top + 1 < height ? luminance(data, ((top + 1) * width + x) * 3) : upper
      const level = Math.min(ASCII_RAMP.length - 1, Math.floor(((upper + lower) / 2 / 256) * ASCII_RAMP.length))
      line += ASCII_RAMP[level]
    }
    rows.push(line)
  }
  return rows
}

/**
 * Renders an image as ⌈height / 2⌉ text rows of `width` half blocks each. A colour is only written when
 * it differs from the previous cell's, which keeps flat areas (the teddy bear's background, most of a
 * difference image) cheap over a slow link. An odd last row has no lower pixel: its lower half is left
 * in the terminal's background colour. Every row ends with {@link RESET}.
 */
export function renderHalfBlocks(image: RawImage, depth: ColourDepth = currentDepth): string[] {
  if (depth === 'none') return renderAscii(image)
  assertRawImage(image)
  const fgOf = depth === '256' ? (r: number, g: number, b: number) => `\x1b[38;5;${xterm256(r, g, b)}m` : foreground
  const bgOf = depth === '256' ? (r: number, g: number, b: number) => `\x1b[48;5;${xterm256(r, g, b)}m` : background
  const { width, height, data } = image
  const rows: string[] = []
  for (let top = 0; top < height; top += 2) {
    const hasLower = top + 1 < height
    let line = ''
    let lastForeground = ''
    let lastBackground = ''
    for (let x = 0; x < width; x += 1) {
      const upper = (top * width + x) * 3
      const fg = fgOf(data[upper] ?? 0, data[upper + 1] ?? 0, data[upper + 2] ?? 0)
      let bg = DEFAULT_BACKGROUND
      if (hasLower) {
        const lower = ((top + 1) * width + x) * 3
        bg = bgOf(data[lower] ?? 0, data[lower + 1] ?? 0, data[lower + 2] ?? 0)
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
