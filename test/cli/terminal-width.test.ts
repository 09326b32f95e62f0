import { describe, expect, it } from 'vitest'
import { padToWidth, terminalWidth, truncateToWidth } from '../../src/cli/terminal-width.js'
import { stripAnsi } from '../support/strip-ansi.js'
import { renderHalfBlocks } from '../../src/cli/viewer/half-block-renderer.js'

function solid(width: number, height: number, rgb: [number, number, number]): string[] {
  return renderHalfBlocks({ width, height, channels: 3, data: Uint8Array.from(Array.from({ length: width * height }, () => rgb).flat()) })
}

describe('stripAnsi and terminalWidth', () => {
  it('count what the terminal shows: no escapes, wide characters two columns', () => {
    const line = solid(4, 2, [1, 2, 3])[0] ?? ''
    expect(stripAnsi(line)).toBe('▀▀▀▀')
    expect(terminalWidth(line)).toBe(4)
    expect(terminalWidth('\x1b]0;title\x07ab\x1b[1mc\x1b[0m')).toBe(3)
    expect(terminalWidth('')).toBe(0)
    // A stream named in CJK takes two columns a character, so the panels beside it stay in place.
    expect(terminalWidth('\x1b[1m日本\x1b[0m')).toBe(4)
  })
})

describe('terminalWidth and truncateToWidth', () => {
  it('counts terminal columns, not UTF-16 units', () => {
    expect(terminalWidth('abc')).toBe(3)
    expect(terminalWidth('日本')).toBe(4)
    expect(terminalWidth('e\u0301')).toBe(1)
    expect(terminalWidth('🔭')).toBe(2)
  })

  it('cuts to the width with an ellipsis, and leaves short text alone', () => {
    expect(truncateToWidth('image_00001.jpg', 20)).toBe('image_00001.jpg')
    expect(truncateToWidth('image_00001.jpg', 8)).toBe('image_0…')
    expect(terminalWidth(truncateToWidth('日本語のテキスト', 7))).toBeLessThanOrEqual(7)
    expect(truncateToWidth('日本語', 5)).toBe('日本…')
    expect(truncateToWidth('abc', 0)).toBe('')
  })
  it('cut with an ellipsis only when needed and pad to an exact width', () => {
    expect(truncateToWidth('difference image', 20)).toBe('difference image')
    expect(truncateToWidth('difference image', 10)).toBe('differenc…')
    expect(truncateToWidth('abc', 0)).toBe('')
  })
})

describe('padToWidth', () => {
  it('pads by columns, on either side', () => {
    expect(padToWidth('image', 8)).toBe('image   ')
    expect(padToWidth('日本', 6, 'right')).toBe('  日本')
    expect(padToWidth('difference', 4)).toBe('difference')
  })
})
