/**
 * The path end to end, through the built CLI as a user runs it: `imgpipe sky make` writes 2048² mock-sky
 * frames, `imgpipe ingest` records them (format fits, observation columns), `imgpipe web` serves them (its FITS
 * renders in the worker thread), and chromium shows an image's page with the zscale preview, the observation and
 * RA/Dec under the cursor — checked against the WCS and pixels of the file on disk.
 * Screenshot: test-results/web-fits-ingest.png.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFits } from '../../src/analysis/fits/fits-reader.js'
import { headerLookup } from '../../src/analysis/fits/header-card.js'
import { readWcs } from '../../src/analysis/wcs/wcs.js'
import { formatDecDms, formatRaHms } from '../../src/web/sky-text.js'
import { cleanEnv, repoRoot, runCli } from '../support/cli.js'
import { startWeb, type WebProcess } from './web-process.js'
import { chromiumAvailable, launchChromium } from '../support/browser.js'

const available = chromiumAvailable('FITS ingest browser test')

let dir: string
let web: WebProcess
let browser: Browser
let page: Page
const problems: string[] = []

beforeAll(async () => {
  if (!available) return
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-fits-ingest-'))
  const env = cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'imgpipe.db')}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
  })
  const make = await runCli(['sky', 'make', path.join(dir, 'sky'), '--frames', '3', '--size', '2048', '--stars', '600', '--seed', '7'], env)
  expect(make.code, make.stderr).toBe(0)
  const ingest = await runCli(['ingest', path.join(dir, 'sky'), '--stream', 'sky'], env)
  expect(ingest.code, ingest.stderr).toBe(0)
  expect(ingest.stdout).toContain('3 analysed, 0 failed')
  web = await startWeb(['--port', '0'], env)
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
})

afterAll(async () => {
  await browser?.close()
  await web?.stop()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

describe.skipIf(!available)('ingested FITS frames in the viewer, in chromium', () => {
  it('shows frame 2 with its zscale preview, observation, and the RA/Dec of the pixel under the cursor (screenshot test-results/web-fits-ingest.png)', async () => {
    const fits = readFits(await readFile(path.join(dir, 'sky', 'field-a_0002.fits')), { maxPixels: 50_000_000 })
    const wcs = readWcs(headerLookup(fits.header))
    await page.goto(`${web.url}images/2/view`)
    await page.waitForFunction(
      `(() => { const img = document.querySelector('img[data-fits-pixel]'); return img && img.complete && img.naturalWidth > 0 })()`,
    )
    const size = await page.evaluate(`(() => {
      const img = document.querySelector('img[data-fits-pixel]')
      const canvas = document.createElement('canvas')
      canvas.width = img.naturalWidth
      canvas.height = img.naturalHeight
      const context = canvas.getContext('2d')
      context.drawImage(img, 0, 0)
      const data = context.getImageData(0, 0, canvas.width, canvas.height).data
      const levels = new Set()
      for (let at = 0; at < data.length; at += 4 * 11) levels.add(data[at])
      return [img.naturalWidth, img.naturalHeight, levels.size]
    })()`)
    expect(size).toEqual([1024, 1024, expect.any(Number)])
    expect((size as number[])[2]).toBeGreaterThan(40)
    expect(await page.locator('[data-obs=filter]').innerText()).toBe('r')
    expect(await page.locator('[data-obs=field]').innerText()).toBe('field-a')
    expect(await page.locator('[data-obs=time]').innerText()).toMatch(/ UTC · MJD 61000\.\d{6}$/)

    // The centre of preview pixel (300, 700): image pixels x 601..602, y (1023 − 700)·2 + 1..2 (FITS, 1-based).
    const img = page.locator('img[data-fits-pixel]')
    const box = await img.boundingBox()
    if (box === null) throw new Error('no preview on the page')
    const scale = box.width / 1024
    await page.mouse.move(box.x + 300.5 * scale, box.y + 700.5 * scale)
    const readout = page.locator('[data-readout]')
    await expect.poll(() => readout.innerText(), { timeout: 15_000 }).toContain('RA ')
    const text = await readout.innerText()
    const match = /pixel x (\d+), y (\d+) \(FITS, 1-based\) · value (\S+) · RA (\S+) \(([\d.]+)°\) · Dec (\S+) \(/.exec(text)
    expect(match, text).not.toBeNull()
    const x = Number(match![1])
    const y = Number(match![2])
    const tolerance = Math.ceil(2 / scale)
    expect(Math.abs(x - 601.5)).toBeLessThanOrEqual(tolerance)
    expect(Math.abs(y - ((1023 - 700) * 2 + 1.5))).toBeLessThanOrEqual(tolerance)
    const sky = wcs.pixelToSky(x - 1, y - 1)
    expect(match![4]).toBe(formatRaHms(sky.ra))
    expect(match![6]).toBe(formatDecDms(sky.dec))
    const value = fits.image.data[(y - 1) * fits.image.width + (x - 1)]!
    expect(Number(match![3])).toBeCloseTo(value, 2)
    await mkdir(path.join(repoRoot, 'test-results'), { recursive: true })
    await page.screenshot({ path: path.join(repoRoot, 'test-results/web-fits-ingest.png'), fullPage: true })
    expect(problems).toEqual([])
  })
})
