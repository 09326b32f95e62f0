import { describe, expect, it } from 'vitest'
import {
  alertHeader,
  captions,
  fitWithin,
  MIN_VIEW_WIDTH,
  panelWidth,
  renderAlertView,
  type AlertImages,
} from '../../../src/cli/viewer/alert-panel.js'
import { terminalWidth } from '../../../src/cli/terminal-width.js'
import { stripAnsi } from '../../support/strip-ansi.js'
import { parseCells } from './support/ansi-cells.js'
import { imageRecord, sampleView, solidImage } from './support/sample-view.js'

const RED: [number, number, number] = [220, 30, 30]
const GREEN: [number, number, number] = [30, 200, 40]
const BLUE: [number, number, number] = [20, 40, 230]

function images(size = 350): AlertImages {
  return { previous: solidImage(size, size, RED), image: solidImage(size, size, GREEN), difference: solidImage(size, size, BLUE) }
}

/** The rendered lines, the rows holding pictures, and the caption row (the first line after the pictures). */
function layout(text: string): { lines: string[]; pictureRows: string[]; captionRow: string } {
  const lines = text.replace(/\n$/, '').split('\n')
  const pictureRows = lines.filter((line) => line.includes('▀'))
  const lastPicture = lines.findLastIndex((line) => line.includes('▀'))
  return { lines, pictureRows, captionRow: lines[lastPicture + 1] ?? '' }
}

describe('panelWidth and fitWithin', () => {
  it('share the width between three panels and two 2-column gaps', () => {
    expect(panelWidth(120)).toBe(38)
    expect(panelWidth(160)).toBe(52)
    expect(panelWidth(MIN_VIEW_WIDTH)).toBe(8)
    expect(() => panelWidth(MIN_VIEW_WIDTH - 1)).toThrow(/at least 28 columns/)
  })

  it('keep the aspect ratio, scaling up or down, never below 1×1', () => {
    expect(fitWithin(350, 350, 38, 1000)).toEqual({ width: 38, height: 38 })
    expect(fitWithin(350, 350, 38, 20)).toEqual({ width: 20, height: 20 })
    expect(fitWithin(400, 200, 38, 1000)).toEqual({ width: 38, height: 19 })
    expect(fitWithin(10, 10, 38, 1000)).toEqual({ width: 38, height: 38 })
    expect(fitWithin(1000, 1, 38, 1000)).toEqual({ width: 38, height: 1 })
    expect(fitWithin(1, 1000, 38, 50)).toEqual({ width: 1, height: 50 })
  })
})

describe('captions and alertHeader', () => {
  it('name the previous image with its stream and number, the image with its number', () => {
    expect(captions(sampleView())).toEqual(['previous image 2 of stream mock', 'image 3 of stream mock', 'difference image'])
    expect(captions(sampleView({ previousImage: null }))[0]).toBe('no previous image')
    // Rows inserted by hand with the original's two columns have no image number.
    expect(captions(sampleView({ image: imageRecord(3, { imageNum: null, imageId: 42 }) }))[1]).toBe('image id 42 of stream mock')
  })

  it('give the headline every channel writes, the event id, file, changed fraction and timestamps', () => {
    const header = alertHeader(sampleView(), 200).join('\n')
    for (const part of [
      'Alert 1: changed on stream mock, image 3 · image event 5 · image_00003.jpg',
      '23.5% of pixels changed',
      'max difference 251',
      'received 2026-03-01 10:00:03 UTC',
      'detected 2026-03-01 10:00:05 UTC',
      'alerted 2026-03-01 10:00:06 UTC',
    ]) {
      expect(header).toContain(part)
    }
    for (const line of alertHeader(sampleView(), 40)) expect(terminalWidth(line)).toBeLessThanOrEqual(40)
  })
})

describe('renderAlertView', () => {
  it('draws the three pictures side by side, each a third of the width, captions under their panels', async () => {
    const text = await renderAlertView(sampleView(), images(), { width: 120 })
    const { lines, pictureRows, captionRow } = layout(text)
    expect(lines[0]).toContain('Alert 1: changed on stream mock, image 3')
    // 350×350 fitted into 38 columns: 38×38 pixels, i.e. 19 rows of 3 × 38 half blocks.
    expect(pictureRows).toHaveLength(19)
    for (const row of pictureRows) {
      expect([...stripAnsi(row)].filter((char) => char === '▀')).toHaveLength(3 * 38)
      expect(terminalWidth(row)).toBeLessThanOrEqual(120)
      const cells = parseCells(row).filter((cell) => cell.char === '▀')
      expect(new Set(cells.filter((cell) => cell.column < 38).map((cell) => cell.fg))).toEqual(new Set([RED.join(',')]))
      expect(new Set(cells.filter((cell) => cell.column >= 40 && cell.column < 78).map((cell) => cell.fg))).toEqual(
        new Set([GREEN.join(',')]),
      )
      expect(new Set(cells.filter((cell) => cell.column >= 80).map((cell) => cell.bg))).toEqual(new Set([BLUE.join(',')]))
    }
    const plainCaptions = stripAnsi(captionRow)
    expect(plainCaptions.indexOf('previous image 2 of stream mock')).toBe(0)
    expect(plainCaptions.indexOf('image 3 of stream mock')).toBe(40)
    expect(plainCaptions.indexOf('difference image')).toBe(80)
    expect(text.endsWith('\n')).toBe(true)
  })

  it('keeps every line within a narrow --width', async () => {
    for (const width of [MIN_VIEW_WIDTH, 60, 61, 97]) {
      const text = await renderAlertView(sampleView(), images(), { width })
      const columns = Math.floor((width - 4) / 3)
      const { lines, pictureRows } = layout(text)
      for (const line of lines) expect(terminalWidth(line)).toBeLessThanOrEqual(width)
      expect(pictureRows).toHaveLength(Math.ceil(columns / 2))
      expect([...stripAnsi(pictureRows[0] ?? '')].filter((char) => char === '▀')).toHaveLength(3 * columns)
    }
  })

  it('fits the pictures into maxRows rows, keeping their aspect ratio', async () => {
    const { pictureRows } = layout(await renderAlertView(sampleView(), images(), { width: 120, maxRows: 5 }))
    expect(pictureRows).toHaveLength(5)
    expect([...stripAnsi(pictureRows[0] ?? '')].filter((char) => char === '▀')).toHaveLength(3 * 10)
  })

  it('leaves the first panel blank with "no previous image" for the first image of a stream', async () => {
    const text = await renderAlertView(sampleView({ previousImage: null }), { ...images(), previous: null }, { width: 120 })
    const { pictureRows, captionRow } = layout(text)
    expect(pictureRows).toHaveLength(19)
    for (const row of pictureRows) {
      expect(
        parseCells(row)
          .filter((cell) => cell.column < 40)
          .every((cell) => cell.char === ' '),
      ).toBe(true)
      expect(parseCells(row).find((cell) => cell.char === '▀')?.column).toBe(40)
    }
    expect(stripAnsi(captionRow).startsWith('no previous image')).toBe(true)
    expect(stripAnsi(captionRow).indexOf('image 3 of stream mock')).toBe(40)
  })

  it('says in the panel why a picture is unavailable, and still shows the others', async () => {
    const text = await renderAlertView(
      sampleView(),
      { ...images(), difference: { unavailable: 'no object at key "difference_image/mock/image_00003.jpg"' } },
      { width: 120 },
    )
    const plain = stripAnsi(text)
    expect(plain).toContain('unavailable: no object at key')
    const { pictureRows, captionRow } = layout(text)
    expect(pictureRows).toHaveLength(19)
    expect(
      parseCells(pictureRows[0] ?? '')
        .filter((cell) => cell.char === '▀')
        .every((cell) => cell.column < 78),
    ).toBe(true)
    expect(stripAnsi(captionRow).indexOf('difference image')).toBe(80)
  })

  it('scales each picture on its own, e.g. a previous image of another size (size_changed)', async () => {
    const text = await renderAlertView(sampleView(), { ...images(), previous: solidImage(400, 200, RED) }, { width: 120 })
    const { pictureRows } = layout(text)
    expect(pictureRows).toHaveLength(19)
    const redRows = pictureRows.filter((row) => parseCells(row).some((cell) => cell.column < 38 && cell.fg === RED.join(',')))
    // 400×200 in 38 columns: 38×19 pixels, i.e. 10 rows, the last one half empty.
    expect(redRows).toHaveLength(10)
  })
})
