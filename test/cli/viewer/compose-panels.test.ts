import { describe, expect, it } from 'vitest'
import { composePanels, wrapCaption, wrapSegments } from '../../../src/cli/viewer/compose-panels.js'
import { stripAnsi } from '../../support/strip-ansi.js'
import { renderHalfBlocks } from '../../../src/cli/viewer/half-block-renderer.js'

function solid(width: number, height: number, rgb: [number, number, number]): string[] {
  return renderHalfBlocks({ width, height, channels: 3, data: Uint8Array.from(Array.from({ length: width * height }, () => rgb).flat()) })
}

describe('wrapSegments', () => {
  it('break between segments to fit the width', () => {
    expect(wrapSegments(['alert 1', 'image event 1 (changed)', 'stream mock'], ' · ', 80)).toEqual([
      'alert 1 · image event 1 (changed) · stream mock',
    ])
    expect(wrapSegments(['alert 1', 'image event 1 (changed)', 'stream mock'], ' · ', 34)).toEqual([
      'alert 1 · image event 1 (changed)',
      'stream mock',
    ])
    expect(wrapSegments(['a-very-long-segment'], ' · ', 10)).toEqual(['a-very-lo…'])
    expect(wrapSegments([], ' · ', 10)).toEqual([])
  })

  it('wrap captions between words, cutting only a word longer than the panel', () => {
    expect(wrapCaption('previous image (stream mock #2)', 20)).toEqual(['previous image', '(stream mock #2)'])
    expect(wrapCaption('previous image (stream camera-with-a-long-name #2)', 12)).toEqual([
      'previous',
      'image',
      '(stream',
      'camera-with…',
      '#2)',
    ])
    expect(wrapCaption('', 12)).toEqual([])
  })
})

describe('composePanels', () => {
  it('puts panels side by side with the gap and each caption under its own panel', () => {
    const panels = [
      { lines: solid(5, 4, [255, 0, 0]), caption: 'left', width: 5 },
      { lines: solid(7, 4, [0, 255, 0]), caption: 'middle one', width: 7 },
      { lines: solid(4, 4, [0, 0, 255]), caption: 'rgt', width: 4 },
    ]
    const lines = composePanels(panels, 2).split('\n').map(stripAnsi)
    expect(lines).toEqual(['▀▀▀▀▀  ▀▀▀▀▀▀▀  ▀▀▀▀', '▀▀▀▀▀  ▀▀▀▀▀▀▀  ▀▀▀▀', 'left   middle   rgt', '       one'])
    expect(lines[2]?.indexOf('left')).toBe(0)
    expect(lines[2]?.indexOf('middle')).toBe(7)
    expect(lines[3]?.indexOf('one')).toBe(7)
    expect(lines[2]?.indexOf('rgt')).toBe(16)
  })

  it('pads shorter and narrower pictures so every panel starts in its own column, captions on one row', () => {
    const panels = [
      { lines: [], caption: 'no previous image', width: 10 },
      { lines: solid(6, 6, [9, 9, 9]), caption: 'image (#3)', width: 10 },
      { lines: solid(10, 2, [200, 200, 200]), caption: 'difference image', width: 10 },
    ]
    const text = composePanels(panels, 3)
    const lines = text.split('\n')
    expect(lines).toHaveLength(6)
    const plain = lines.map(stripAnsi)
    expect(plain[0]).toBe(`${' '.repeat(13)}▀▀▀▀▀▀${' '.repeat(7)}${'▀'.repeat(10)}`)
    expect(plain[1]).toBe(`${' '.repeat(13)}▀▀▀▀▀▀`)
    expect(plain[2]).toBe(`${' '.repeat(13)}▀▀▀▀▀▀`)
    // Captions wrap between words inside their panel; every caption starts on the row under the pictures.
    expect(plain.slice(3)).toEqual(['no           image (#3)   difference', `previous${' '.repeat(18)}image`, 'image'])
    // The colours stay inside their panel: each picture line ends with a reset before the padding.
    expect(lines[0]).toMatch(/▀\x1b\[0m {7}\x1b\[38;2;200;200;200m/)
  })

  it('returns only the caption row when no panel has a picture', () => {
    expect(
      composePanels(
        [
          { lines: [], caption: 'a', width: 3 },
          { lines: [], caption: 'b', width: 3 },
        ],
        1,
      ),
    ).toBe('a   b')
  })

  it('refuses a line wider than its panel, which would shift every panel to its right', () => {
    expect(() => composePanels([{ lines: solid(6, 2, [0, 0, 0]), caption: '', width: 5 }], 2)).toThrow(/6 columns, wider than 5/)
    expect(() => composePanels([{ lines: [], caption: '', width: 0 }], 2)).toThrow(/invalid width/)
    expect(() => composePanels([], -1)).toThrow(/gap/)
  })
})
