/**
 * A difference-imaging alert in a real browser (Debian's chromium through playwright-core): the stamps load as
 * 63×63 images, and each circle drawn over the image preview sits on its detection — the pointer put on a
 * circle's centre makes the page's own readout name the detection's FITS pixel. The field page's reference loads
 * with its circles. Screenshots: test-results/web-diffim-alert.png and test-results/web-diffim-field.png.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebApp } from '../../src/web/web-app.js'
import { chromiumAvailable, launchChromium } from '../support/browser.js'
import { repoRoot } from '../support/cli.js'
import { memoryContext, type TestContext } from '../support/memory-context.js'
import { insertDiffimAlert, type DiffimFixture } from './diffim-fixture.js'

const available = chromiumAvailable('difference-imaging web viewer browser test')

let context: TestContext
let fixture: DiffimFixture
let app: FastifyInstance
let url: string
let browser: Browser
let page: Page
const problems: string[] = []

beforeAll(async () => {
  if (!available) return
  context = await memoryContext()
  fixture = await insertDiffimAlert(context)
  app = await buildWebApp({ catalog: fixture.catalog, store: context.store, science: fixture.science })
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

/** Waits until every `<img>` matching `selector` has loaded, and returns their natural sizes. */
async function loaded(selector: string): Promise<[number, number][]> {
  await page.waitForFunction(
    `[...document.querySelectorAll(${JSON.stringify(selector)})].every((img) => img.complete && img.naturalWidth > 0)`,
  )
  return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((img) => [img.naturalWidth, img.naturalHeight])`)
}

describe.skipIf(!available)('a difference-imaging alert in chromium', () => {
  it('shows the stamps and circles each detection where the readout finds its pixel (screenshot test-results/web-diffim-alert.png)', async () => {
    await page.goto(`${url}/?alert_num=${fixture.alertNumber}`)
    expect(await loaded('img.stamp')).toEqual(Array.from({ length: 9 }, () => [63, 63]))
    expect(await loaded('figure[data-role=difference] img')).toEqual([[320, 240]])
    await loaded('figure[data-role=image] img')
    const readout = page.locator('figure[data-role=image] [data-readout]')
    for (const [index, detection] of fixture.detections.entries()) {
      const circle = page.locator(`figure[data-role=image] [data-mark="${index + 1}"] circle`)
      const box = await circle.boundingBox()
      if (box === null) throw new Error(`circle ${index + 1} is not shown`)
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
      // The detection's 0-based centroid is FITS pixel (x + 1, y + 1): within a CSS pixel (~1 image pixel here).
      const fitsX = detection.x + 1
      const fitsY = detection.y + 1
      await expect
        .poll(
          async () => {
            const match = /pixel x (\d+), y (\d+)/.exec(await readout.innerText())
            return match !== null && Math.abs(Number(match[1]) - fitsX) <= 1.5 && Math.abs(Number(match[2]) - fitsY) <= 1.5
          },
          { timeout: 10_000 },
        )
        .toBe(true)
    }
    await page.locator('[data-detections]').scrollIntoViewIfNeeded()
    await page.mouse.move(0, 0)
    await mkdir(path.join(repoRoot, 'test-results'), { recursive: true })
    await page.screenshot({ path: path.join(repoRoot, 'test-results/web-diffim-alert.png'), fullPage: true })
    expect(problems).toEqual([])
  })

  it('shows the field page with the reference and its circles (screenshot test-results/web-diffim-field.png)', async () => {
    await page.goto(`${url}/?alert_num=${fixture.alertNumber}`)
    await page.locator('[data-field-link]').first().click()
    expect(await loaded('img[data-reference-preview]')).toEqual([[320, 240]])
    expect(await page.locator('figure[data-role=reference] circle').count()).toBe(3)
    expect(await page.locator('[data-ref=version]').innerText()).toBe('1')
    await page.screenshot({ path: path.join(repoRoot, 'test-results/web-diffim-field.png'), fullPage: true })
    expect(problems).toEqual([])
  })
})
