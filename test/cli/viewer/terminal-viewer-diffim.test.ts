/**
 * The terminal viewer on a difference-imaging alert: under the three pictures, the most significant detection's
 * measurement line and its science, reference and difference stamps side by side, each cell the stamp's own pixels
 * (read back from the 24-bit escapes), on the memory ledgers the web tests use.
 */
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setColourDepth } from '../../../src/cli/viewer/half-block-renderer.js'
import { showAlert, type ViewerBackends } from '../../../src/cli/viewer/terminal-viewer.js'
import { formatDecDms, formatRaHms } from '../../../src/core/sexagesimal.js'
import { memoryContext, type TestContext } from '../../support/memory-context.js'
import { stripAnsi } from '../../support/strip-ansi.js'
import { insertDiffimAlert, type DiffimFixture } from '../../web/diffim-fixture.js'
import { parseCells } from './support/ansi-cells.js'

let context: TestContext
let fixture: DiffimFixture
let backends: ViewerBackends

beforeAll(async () => {
  context = await memoryContext()
  fixture = await insertDiffimAlert(context)
  backends = { catalog: fixture.catalog, store: context.store, limits: context.analysis, science: fixture.science }
  setColourDepth('truecolor')
})
afterAll(async () => {
  await context.close()
})

describe('an alert with detections in the terminal', () => {
  it('prints the most significant detection’s measurement line', async () => {
    const text = stripAnsi(await showAlert(backends, fixture.alertNumber, { width: 200, json: false }))
    // Detection 1 has S/N 85.5; the fading one's −13.8 is less significant.
    const best = fixture.detections[0]!
    expect(text).toContain(
      `Detection 1 of 3 (most significant): ${formatRaHms(best.ra)} ${formatDecDms(best.dec)} · PSF flux 5230.4 ± 61.2 · S/N 85.5 · new_source · real-bogus 0.97 · FWHM 2.61 px · elongation 1.08`,
    )
    expect(text).toContain(`object ${best.objectId}`)
    expect(text).toMatch(/science stamp\s+reference stamp\s+difference stamp/)
  })

  it('draws the three stamps side by side, one cell per stamp pixel pair', async () => {
    const text = await showAlert(backends, fixture.alertNumber, { width: 200, json: false })
    const lines = text.split('\n')
    const header = lines.findIndex((line) => stripAnsi(line).startsWith('Detection 1 of 3'))
    expect(header).toBeGreaterThan(0)
    // The header fits one line at 200 columns, then a blank line, then 32 rows of 63×63 stamps (63 columns each, 2 apart).
    const rows = lines.slice(header + 2, header + 2 + 32)
    expect(stripAnsi(lines[header + 2 + 32]!)).toMatch(/^science stamp/)
    for (const [panel, kind] of ['science', 'reference', 'difference'].entries()) {
      const png = fixture.objectsByName.get(`stamp-0-${kind}.png`)!
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
      expect([info.width, info.height]).toEqual([63, 63])
      const pixel = (x: number, y: number): string => {
        const at = (y * info.width + x) * info.channels
        return `${data[at]},${data[at + 1]},${data[at + 2]}`
      }
      for (const [row, line] of rows.entries()) {
        const cells = parseCells(line).filter((cell) => cell.column >= panel * 65 && cell.column < panel * 65 + 63)
        expect(cells).toHaveLength(63)
        for (const cell of [cells[0]!, cells[31]!, cells[62]!]) {
          const x = cell.column - panel * 65
          expect(cell.fg, `${kind} row ${row} x ${x}`).toBe(pixel(x, 2 * row))
          if (2 * row + 1 < 63) expect(cell.bg).toBe(pixel(x, 2 * row + 1))
        }
      }
    }
  })

  it('picks the detection of the largest |S/N| wherever it is listed', async () => {
    const reversed: ViewerBackends = {
      ...backends,
      science: {
        detections: {
          detectionsOfEvents: async (ids) =>
            new Map([...(await fixture.objects.detectionsOfEvents(ids))].map(([id, list]) => [id, [...list].reverse()])),
        },
        ledger: fixture.science.ledger,
      },
    }
    const text = stripAnsi(await showAlert(reversed, fixture.alertNumber, { width: 200, json: false }))
    expect(text).toContain('Detection 3 of 3 (most significant)')
    expect(text).toContain('S/N 85.5')
  })

  it('shows no detection part for an alert without detections', async () => {
    const none: ViewerBackends = {
      ...backends,
      science: { detections: { detectionsOfEvents: async (ids) => new Map(ids.map((id) => [id, []])) }, ledger: fixture.science.ledger },
    }
    const text = stripAnsi(await showAlert(none, fixture.alertNumber, { width: 200, json: false }))
    expect(text).not.toContain('Detection 1')
    expect(text).not.toContain('stamp')
  })
})
