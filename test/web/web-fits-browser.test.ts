/**
 * Science images in a real browser (Debian's chromium through playwright-core): a FITS stream's image page and
 * alert page show the zscale previews (loaded, not one flat value), the observation, and the cursor readout —
 * FITS pixel, value, RA/Dec — after a mouse move. The viewer runs in this process over the memory context the
 * FITS fixture fills (2000×1500 frames, so the preview is shrunk 2× and the pointer mapping is tested with it).
 * Screenshot: test-results/web-fits-image.png.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { headerLookup } from '../../src/analysis/fits/header-card.js'
import { readWcs } from '../../src/analysis/wcs/wcs.js'
import { buildWebApp } from '../../src/web/web-app.js'
import { formatDecDms, formatRaHms } from '../../src/web/sky-text.js'
import { repoRoot } from '../support/cli.js'
import { memoryContext, type TestContext } from '../support/memory-context.js'
import { FITS_SKY, insertFitsStream, type FitsImageRow } from './fits-fixture.js'
import { chromiumAvailable, launchChromium } from '../support/browser.js'

const available = chromiumAvailable('FITS web viewer browser test')

let context: TestContext
let app: FastifyInstance
let url: string
let rows: FitsImageRow[]
let alertNumber: number
let browser: Browser
let page: Page
const problems: string[] = []

beforeAll(async () => {
  if (!available) return
  context = await memoryContext()
  ;({ rows, alertNumber } = await insertFitsStream(context, 'deep-sky', { ...FITS_SKY, width: 2000, height: 1500, stars: 900 }).then(
    async (inserted) => {
      app = await buildWebApp({ catalog: inserted.catalog, store: context.store })
      return inserted
    },
  ))
  url = await app.listen({ host: '127.0.0.1', port: 0 })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', (request) => {
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.url()}`)
  })
})

afterAll(async () => {
  await browser?.close()
  await app?.close()
  await context?.close()
})

/** Natural size of an `<img>` once loaded, and how many distinct grey levels a canvas reads back from it. */
async function loadedPreview(selector: string): Promise<{ width: number; height: number; levels: number }> {
  await page.waitForFunction(`(() => { const img = document.querySelector(${JSON.stringify(selector)}); return img && img.complete })()`)
  return page.evaluate(`(() => {
    const img = document.querySelector(${JSON.stringify(selector)})
    const canvas = document.createElement('canvas')
    canvas.width = img.naturalWidth
    canvas.height = img.naturalHeight
    const context = canvas.getContext('2d')
    context.drawImage(img, 0, 0)
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data
    const levels = new Set()
    for (let at = 0; at < data.length; at += 4 * 7) levels.add(data[at])
    return { width: img.naturalWidth, height: img.naturalHeight, levels: levels.size }
  })()`)
}

/**
 * Moves the mouse over FITS pixel (x, y) of the preview `selector` (preview pixel centre, through object-fit:
 * contain's letterbox) and returns the readout once the server's answer is in it.
 */
async function hover(selector: string, x: number, y: number, factor: number): Promise<{ text: string; tolerance: number }> {
  const box = await page.locator(selector).boundingBox()
  const natural = await page.locator(selector).evaluate((element) => {
    const img = element as unknown as { naturalWidth: number; naturalHeight: number }
    return [img.naturalWidth, img.naturalHeight]
  })
  if (box === null) throw new Error(`${selector} is not on the page`)
  const [natW, natH] = natural as [number, number]
  const scale = Math.min(box.width / natW, box.height / natH)
  const left = box.x + (box.width - natW * scale) / 2
  const top = box.y + (box.height - natH * scale) / 2
  const px = (x - 1) / factor + 0.5 / factor
  const py = natH - (y - 1) / factor - 0.5 / factor
  await page.mouse.move(left + px * scale, top + py * scale)
  const readout = page.locator(selector).locator('xpath=ancestor::figure').locator('[data-readout]')
  // Mouse events land on whole CSS pixels: one of them spans factor / scale image pixels.
  const tolerance = Math.ceil(factor / scale)
  // Wait for this position's answer, not the one of the previous hover.
  const answered = (text: string): boolean => {
    const match = /pixel x (\d+), y (\d+) .* · (RA|no sky)/.exec(text)
    return match !== null && Math.abs(Number(match[1]) - x) <= tolerance && Math.abs(Number(match[2]) - y) <= tolerance
  }
  await expect
    .poll(
      async () => {
        const text = await readout.innerText()
        return answered(text) ? 'answered' : text
      },
      { timeout: 10_000 },
    )
    .toBe('answered')
  return { text: await readout.innerText(), tolerance }
}

/** The readout's pixel and the sky position the frame's own WCS gives for it, as the page should print them. */
function expectSkyOf({ text, tolerance }: { text: string; tolerance: number }, row: FitsImageRow, near: { x: number; y: number }): void {
  const match =
    /pixel x (\d+), y (\d+) \(FITS, 1-based\) · value (-?[\d.e+-]+|masked) · RA (\S+) \(([\d.]+)°\) · Dec (\S+) \((-?[\d.]+)°\) ICRS/.exec(
      text,
    )
  expect(match, text).not.toBeNull()
  const [, xs, ys, value, raText, , decText] = match!
  const x = Number(xs)
  const y = Number(ys)
  // The pointer lands within a CSS pixel of the target.
  expect(Math.abs(x - near.x), text).toBeLessThanOrEqual(tolerance)
  expect(Math.abs(y - near.y), text).toBeLessThanOrEqual(tolerance)
  const sky = readWcs(headerLookup(row.frame.cards)).pixelToSky(x - 1, y - 1)
  expect(raText).toBe(formatRaHms(sky.ra))
  expect(decText).toBe(formatDecDms(sky.dec))
  const pixel = row.frame.image.data[(y - 1) * row.frame.image.width + (x - 1)]!
  expect(Number(value)).toBeCloseTo(pixel, 7 - Math.ceil(Math.log10(Math.abs(pixel))))
}

describe.skipIf(!available)('FITS images in the viewer, in chromium', () => {
  it('shows the image page: zscale preview, observation, and RA/Dec under the cursor (screenshot test-results/web-fits-image.png)', async () => {
    const row = rows[1]!
    await page.goto(`${url}/images/${row.imageId}/view`)
    const preview = await loadedPreview('figure img[data-fits-pixel]')
    expect(preview.width).toBe(1000)
    expect(preview.height).toBe(750)
    expect(preview.levels).toBeGreaterThan(40)
    expect(await page.locator('[data-obs=filter]').innerText()).toBe('r')
    expect(await page.locator('[data-obs=exposure]').innerText()).toBe('30 s')
    expect(await page.locator('[data-obs=field]').innerText()).toBe('field-a')
    expect(await page.locator('[data-obs=time]').innerText()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC · MJD 61000\.270000$/)
    expect(await page.locator('[data-obs=centre]').innerText()).toMatch(/^RA 150\.\d+° \(10h00m\d\d\.\d{3}s\) · Dec 2\.\d+° \(\+02°1\d′/)

    const text = await hover('figure img[data-fits-pixel]', 1001, 700, 2)
    expectSkyOf(text, row, { x: 1001, y: 700 })
    await mkdir(path.join(repoRoot, 'test-results'), { recursive: true })
    await page.screenshot({ path: path.join(repoRoot, 'test-results/web-fits-image.png'), fullPage: true })

    // Over the masked corner (FITS x, y 1..40) the readout says so (inside it: the frame's rounded corner hides its tip).
    const masked = await hover('figure img[data-fits-pixel]', 20, 20, 2)
    expect(masked.text).toContain('value masked')
  })

  it('shows the alert of the FITS stream with both frames as previews and a readout on each (screenshot test-results/web-fits-alert.png)', async () => {
    await page.goto(`${url}/?alert_num=${alertNumber}`)
    for (const role of ['previous', 'image']) {
      const preview = await loadedPreview(`figure[data-role=${role}] img`)
      expect([preview.width, preview.height]).toEqual([1000, 750])
      expect(preview.levels).toBeGreaterThan(40)
    }
    expect(await page.locator('figure[data-role=image] figcaption').innerText()).toContain('filter r · 30 s · MJD 61000.270000')
    const text = await hover('figure[data-role=previous] img', 400, 1200, 2)
    expectSkyOf(text, rows[0]!, { x: 400, y: 1200 })
    await page.screenshot({ path: path.join(repoRoot, 'test-results/web-fits-alert.png'), fullPage: true })
    expect(problems).toEqual([])
  })
})
