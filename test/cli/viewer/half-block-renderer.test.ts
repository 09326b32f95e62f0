import { describe, expect, it } from 'vitest'
import type { RawImage } from '../../../src/analysis/decode-image.js'
import tty from 'node:tty'
import {
  background,
  colourDepthOf,
  foreground,
  HALF_BLOCK,
  renderAscii,
  renderHalfBlocks,
  RESET,
  xterm256,
} from '../../../src/cli/viewer/half-block-renderer.js'

type NodeTtyStream = { isTTY?: boolean; getColorDepth?: (env?: NodeJS.ProcessEnv) => number }
import { parseCells } from './support/ansi-cells.js'

function raw(width: number, height: number, pixels: number[][]): RawImage {
  return { width, height, channels: 3, data: Uint8Array.from(pixels.flat()) }
}

describe('renderHalfBlocks', () => {
  it('renders a 2×2 image as one row: upper pixel in the foreground, lower pixel in the background', () => {
    const image = raw(2, 2, [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [10, 20, 30],
    ])
    expect(renderHalfBlocks(image)).toEqual(['\x1b[38;2;255;0;0m\x1b[48;2;0;0;255m▀\x1b[38;2;0;255;0m\x1b[48;2;10;20;30m▀\x1b[0m'])
  })

  it('writes a colour only when it changes from the previous cell', () => {
    const image = raw(3, 2, [
      [1, 2, 3],
      [1, 2, 3],
      [9, 9, 9],
      [4, 5, 6],
      [7, 7, 7],
      [7, 7, 7],
    ])
    expect(renderHalfBlocks(image)).toEqual([
      `${foreground(1, 2, 3)}${background(4, 5, 6)}▀${background(7, 7, 7)}▀${foreground(9, 9, 9)}▀${RESET}`,
    ])
  })

  it('pads an odd last row with the terminal background under the upper pixels', () => {
    const image = raw(2, 3, [
      [255, 255, 255],
      [0, 0, 0],
      [128, 128, 128],
      [64, 64, 64],
      [200, 100, 50],
      [50, 100, 200],
    ])
    const rows = renderHalfBlocks(image)
    expect(rows).toHaveLength(2)
    expect(rows[1]).toBe('\x1b[38;2;200;100;50m\x1b[49m▀\x1b[38;2;50;100;200m▀\x1b[0m')
    const cells = parseCells(rows[1] ?? '')
    expect(cells.map((cell) => [cell.fg, cell.bg])).toEqual([
      ['200,100,50', null],
      ['50,100,200', null],
    ])
  })

  it('renders a 1×1 image, and ⌈height/2⌉ rows of exactly width half blocks, each ending with a reset', () => {
    expect(renderHalfBlocks(raw(1, 1, [[7, 8, 9]]))).toEqual(['\x1b[38;2;7;8;9m\x1b[49m▀\x1b[0m'])
    const width = 5
    const height = 7
    const pixels = Array.from({ length: width * height }, (_, index) => [index, 255 - index, (index * 7) % 256])
    const rows = renderHalfBlocks(raw(width, height, pixels))
    expect(rows).toHaveLength(4)
    for (const [rowIndex, row] of rows.entries()) {
      expect(row.endsWith(RESET)).toBe(true)
      const cells = parseCells(row)
      expect(cells.map((cell) => cell.char).join('')).toBe(HALF_BLOCK.repeat(width))
      // Every cell shows the pixels of its column: (x, 2·row) above and (x, 2·row + 1) below.
      for (const cell of cells) {
        const upper = pixels[rowIndex * 2 * width + cell.column]
        const lower = pixels[(rowIndex * 2 + 1) * width + cell.column]
        expect(cell.fg).toBe(upper?.join(','))
        expect(cell.bg).toBe(lower === undefined ? null : lower.join(','))
      }
    }
  })

  it('rejects a raw image whose data does not match its size (a bug upstream)', () => {
    expect(() => renderHalfBlocks({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) })).toThrow(/holds 11 bytes/)
  })
})

describe('colour depth', () => {
  const terminal = (bits: number) => ({ isTTY: true, getColorDepth: () => bits })

  it('follows the terminal: 24-bit, 256 colours, or none for NO_COLOR-like depths and non-terminals', () => {
    expect(colourDepthOf(terminal(24), {})).toBe('truecolor')
    expect(colourDepthOf(terminal(8), {})).toBe('256')
    expect(colourDepthOf(terminal(8), { COLORTERM: 'truecolor' })).toBe('truecolor')
    expect(colourDepthOf(terminal(4), {})).toBe('none')
    expect(colourDepthOf(terminal(1), { COLORTERM: 'truecolor' })).toBe('none')
    expect(colourDepthOf({ isTTY: false }, {})).toBe('none')
    expect(colourDepthOf({}, {})).toBe('none')
  })

  it('reads NO_COLOR and TERM=dumb through Node on a real terminal stream', () => {
    const stream = Object.create(tty.WriteStream.prototype) as NodeTtyStream
    Object.defineProperty(stream, 'isTTY', { value: true })
    expect(colourDepthOf(stream, { NO_COLOR: '1', COLORTERM: 'truecolor' })).toBe('none')
    expect(colourDepthOf(stream, { TERM: 'dumb' })).toBe('none')
    expect(colourDepthOf(stream, { TERM: 'xterm-256color', COLORTERM: 'truecolor' })).toBe('truecolor')
  })

  it('maps colours to the xterm palette: cube corners and the grey ramp', () => {
    expect(xterm256(255, 0, 0)).toBe(196)
    expect(xterm256(0, 0, 255)).toBe(21)
    expect(xterm256(0, 0, 0)).toBe(16)
    expect(xterm256(255, 255, 255)).toBe(231)
    expect(xterm256(128, 128, 128)).toBe(244)
  })

  it('renders 256-colour half blocks, and ASCII without any escape', () => {
    const image: RawImage = { width: 2, height: 2, channels: 3, data: Uint8Array.from([255, 0, 0, 0, 0, 0, 255, 0, 0, 255, 255, 255]) }
    const [row] = renderHalfBlocks(image, '256')
    expect(row).toBe(`\x1b[38;5;196m\x1b[48;5;196m${HALF_BLOCK}\x1b[38;5;16m\x1b[48;5;231m${HALF_BLOCK}${RESET}`)
    expect(renderHalfBlocks(image, 'none')).toEqual([':='])
    expect(renderAscii({ width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 255, 255]) })).toEqual(['@'])
  })
})
