/**
 * The viewer in a real browser (Debian's chromium through playwright-core) against `imgpipe web` spawned
 * after a real `imgpipe run`, on SQLite and a directory in a temp dir.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, repoRoot, runCli } from '../support/cli.js'
import { inCi } from '../support/integration.js'
import { startWeb, type WebProcess } from './web-process.js'

const CHROMIUM = '/usr/bin/chromium'
const available = existsSync(CHROMIUM)
if (!available) {
  if (inCi) throw new Error(`CI=true but ${CHROMIUM} is missing: the browser test of the web viewer must run in CI`)
  console.warn(`web viewer browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`)
}

let dir: string
let env: Record<string, string>
let web: WebProcess
let browser: Browser
let page: Page
/** Console errors and failed requests: a CSP violation or a broken asset shows up here. */
const problems: string[] = []

beforeAll(async () => {
  if (!available) return
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-browser-'))
  env = cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'imgpipe.db')}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
  })
  const run = await runCli(['run'], env)
  expect(run.code, run.stderr).toBe(0)
  web = await startWeb(['--port', '0', '--poll-interval', '200'], env)
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    // The pages for bad input (400) and unknown alerts (404) are meant to answer with those statuses.
    const where = new URL(message.location().url || 'about:blank')
    if (where.pathname === '/' && where.searchParams.has('alert_num') && /status of 40[04]/.test(message.text())) return
    problems.push(`console: ${message.text()} (${message.location().url})`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', (request) => {
    // The event stream is cut when the page navigates away; that is not a failure of the page.
    // So is a lazy thumbnail still loading when the page navigates away.
    if (request.url().includes('/thumbnails/') && request.failure()?.errorText === 'net::ERR_ABORTED') return
    if (!request.url().includes('/events')) problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`)
  })
})

afterAll(async () => {
  await browser?.close()
  await web?.stop()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

/** Types into the lookup form and submits it, as a person would. */
async function lookUp(text: string): Promise<void> {
  await page.fill('#alert_num', text)
  await Promise.all([page.waitForURL((url) => url.searchParams.has('alert_num')), page.click('form.lookup button[type=submit]')])
}

/** Waits until every image in the figures has loaded, and returns their natural widths. */
async function loadedImageWidths(): Promise<number[]> {
  await page.waitForFunction(`[...document.querySelectorAll('figure img')].every((img) => img.complete)`)
  return page.evaluate(`[...document.querySelectorAll('figure img')].map((img) => img.naturalWidth)`) as Promise<number[]>
}

describe.skipIf(!available)('the image event viewer in chromium', () => {
  it('lists the recent alerts of the run and shows an alert typed into the form', async () => {
    await page.goto(web.url)
    expect(await page.locator('#alert-list li').allInnerTexts()).toEqual([
      expect.stringMatching(/^#2\s+default · image 7\s+changed · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/),
      expect.stringMatching(/^#1\s+default · image 3\s+changed · /),
    ])

    await lookUp('1')
    expect(new URL(page.url()).search).toBe('?alert_num=1')
    expect(await loadedImageWidths()).toEqual([350, 350, 350])
    expect(await page.locator('figure figcaption strong').allInnerTexts()).toEqual(['Previous image', 'Image', 'Difference image'])
    expect(await page.locator('figure[data-role=previous] figcaption').innerText()).toContain('default · image 2')
    expect(await page.locator('figure[data-role=image] figcaption').innerText()).toContain('default · image 3')
    expect(await page.locator('h1').innerText()).toBe('Alert 1: changed in stream default')
    expect(await page.locator('#alert-list a[aria-current=page]').innerText()).toContain('#1')

    // The blink comparison's button pauses and resumes the animation.
    const toggle = page.locator('[data-blink-toggle]')
    await toggle.click()
    expect(await toggle.innerText()).toBe('Play')
    expect(await page.locator('[data-blink]').getAttribute('class')).toContain('paused')
    await toggle.click()
    expect(await toggle.innerText()).toBe('Pause')
  })

  it('explains bad input and unknown numbers', async () => {
    await lookUp('abc')
    expect(await page.locator('[data-message=error]').innerText()).toContain('Not an alert number: abc')
    expect(await page.locator('figure').count()).toBe(0)
    await lookUp('999')
    expect(await page.locator('[data-message=error]').innerText()).toContain('No image event for alert 999.')
  })

  it('shows typed markup as text and runs none of it', async () => {
    const typed = `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">`
    await lookUp(typed)
    expect(await page.locator('[data-typed]').innerText()).toBe(typed)
    expect(await page.locator('#alert_num').inputValue()).toBe(typed)
    expect(await page.locator('body').innerText()).toContain('<script>window.__xss = 1</script>')
    expect(await page.evaluate('window.__xss')).toBeUndefined()
    expect(await page.locator('main img').count()).toBe(0)
  })

  it('adds alerts recorded while the page is open to the list, without a reload', async () => {
    await page.goto(web.url)
    await page.waitForSelector('[data-live-status]:not([hidden])')
    await page.waitForFunction(`document.querySelector('[data-live-status]').textContent === 'live'`)
    await page.evaluate('window.__sameDocument = true')

    // Images 11-20: 11, 15 and 19 are rotated, so three new events and alerts 3, 4 and 5.
    const more = await runCli(['run', '--count', '20'], env)
    expect(more.code, more.stderr).toBe(0)
    await page.waitForSelector('#alert-list li[data-alert="5"]')
    await page.waitForFunction(`document.querySelectorAll('#alert-list li').length === 5`)
    expect(await page.evaluate('window.__sameDocument')).toBe(true)
    expect(await page.evaluate(`[...document.querySelectorAll('#alert-list li')].map((item) => item.dataset.alert)`)).toEqual([
      '5',
      '4',
      '3',
      '2',
      '1',
    ])
    // Images are analysed concurrently: which of images 11, 15 and 19 got which alert number depends on timing.
    const newItems = await Promise.all(['5', '4', '3'].map((alert) => page.locator(`#alert-list li[data-alert="${alert}"]`).innerText()))
    for (const [index, text] of newItems.entries()) {
      expect(text).toMatch(
        new RegExp(`^#${5 - index}\\s+default · image (11|15|19)\\s+changed · \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC$`),
      )
    }
    expect(new Set(newItems.map((text) => /image (\d+)/.exec(text)?.[1])).size).toBe(3)
    const imageOfAlert5 = /image (\d+)/.exec(newItems[0]!)![1]!

    // The script builds the same markup as the server renders for these alerts after a reload.
    const itemsHtml = `[...document.querySelectorAll('#alert-list li')].map((item) => item.innerHTML)`
    const pushed = (await page.evaluate(itemsHtml)) as string[]
    await page.reload()
    expect(await page.evaluate(itemsHtml)).toEqual(pushed)
    await page.waitForFunction(`document.querySelector('[data-live-status]').textContent === 'live'`)

    // An item of the list links to its alert.
    await Promise.all([page.waitForURL(/alert_num=5$/), page.click('#alert-list li[data-alert="5"] a')])
    expect(await loadedImageWidths()).toEqual([350, 350, 350])
    expect(await page.locator('figure[data-role=image] figcaption').innerText()).toContain(`default · image ${imageOfAlert5}`)
  })

  it('shows a thumbnail of each alert in the list (screenshot test-results/web-alert-list-thumbnails.png)', async () => {
    await page.goto(web.url)
    await page.waitForFunction(
      `[...document.querySelectorAll('#alert-list img.thumb')].every((img) => img.complete && img.naturalWidth > 0)`,
    )
    const sizes = (await page.evaluate(
      `[...document.querySelectorAll('#alert-list img.thumb')].map((img) => [img.naturalWidth, img.naturalHeight])`,
    )) as [number, number][]
    expect(sizes).toHaveLength(5)
    for (const [width, height] of sizes) expect([width, height]).toEqual([72, 72])
    await mkdir(path.join(repoRoot, 'test-results'), { recursive: true })
    await page.locator('section.recent').screenshot({ path: path.join(repoRoot, 'test-results/web-alert-list-thumbnails.png') })
  })

  it('leads from an alert to its stream page, whose chart links back to the alerts (screenshot test-results/web-stream-page.png)', async () => {
    await page.goto(new URL('?alert_num=4', web.url).href)
    await Promise.all([page.waitForURL(/\/streams\/default$/), page.click('[data-stream-link]')])
    expect(await page.locator('h1').innerText()).toBe('Stream default')
    const chart = page.locator('svg[data-chart=change]')
    expect(await chart.isVisible()).toBe(true)
    expect((await chart.boundingBox())?.width ?? 0).toBeGreaterThan(400)
    expect(await page.locator('svg[data-chart=change] a[data-alert-point]').count()).toBe(5)
    expect(await page.locator('svg[data-chart=rates] rect[data-images-minute]').count()).toBeGreaterThan(0)
    await page.screenshot({ path: path.join(repoRoot, 'test-results/web-stream-page.png'), fullPage: true })
    await Promise.all([page.waitForURL(/alert_num=3$/), page.click('svg[data-chart=change] a[data-alert-point="3"]')])
    expect(await page.locator('h1').innerText()).toBe('Alert 3: changed in stream default')
  })

  it('looks right: a screenshot for people to judge, and no console errors or failed requests', async () => {
    await page.goto(new URL('?alert_num=4', web.url).href)
    await loadedImageWidths()
    // Pause the blink mid-way so the screenshot is the same every time.
    await page.click('[data-blink-toggle]')
    await mkdir(path.join(repoRoot, 'test-results'), { recursive: true })
    await page.screenshot({ path: path.join(repoRoot, 'test-results/web-viewer.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: path.join(repoRoot, 'test-results/web-viewer-dark.png'), fullPage: true })
    await page.emulateMedia({ colorScheme: 'light' })
    await page.setViewportSize({ width: 420, height: 900 })
    await page.screenshot({ path: path.join(repoRoot, 'test-results/web-viewer-narrow.png'), fullPage: true })
    expect(problems).toEqual([])
  })
})
