/**
 * The viewer in a real browser (Debian's chromium through playwright-core) against `imgpipe web` spawned
 * after a real `imgpipe run`, on SQLite and a directory in a temp dir.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { openSqliteCatalog } from '../../src/adapters/sqlite/sqlite-catalog.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, repoRoot, runCli } from '../support/cli.js'
import { startWeb, type WebProcess } from './web-process.js'
import { insertOneImage } from '../support/catalog-writes.js'
import { chromiumAvailable, launchChromium } from '../support/browser.js'

const available = chromiumAvailable('web viewer browser test')

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
  browser = await launchChromium()
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
    // So is a lazy thumbnail or the favicon still loading when the page navigates away (the browser aborts them).
    const aborted = request.failure()?.errorText === 'net::ERR_ABORTED'
    if (aborted && (request.url().includes('/thumbnails/') || request.url().includes('/assets/favicon'))) return
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
    expect(await page.locator('h1').innerText()).toBe('Alert 1: changed on stream default, image 3')
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
    expect(await page.locator('h1').innerText()).toMatch(/^Alert 3: changed on stream default, image \d+$/)
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

/** Screenshots of the ways around (issue 16), into the folder the screenshots above go to. */
const SHOTS = {
  home: 'test-results/web-home-streams.png',
  streams: 'test-results/web-streams.png',
  alerts: 'test-results/web-alerts.png',
  failed: 'test-results/web-stream-failed-image.png',
  deliveries: 'test-results/web-alert-deliveries.png',
}

/** The text of each cell of each body row of a table. */
async function tableRows(selector: string): Promise<string[][]> {
  return page.evaluate(
    `[...document.querySelectorAll(${JSON.stringify(`${selector} tbody tr`)})].map((row) => [...row.cells].map((cell) => cell.innerText.trim()))`,
  ) as Promise<string[][]>
}

describe.skipIf(!available)('the ways around the viewer in chromium (screenshots in test-results/)', () => {
  let secondAlerts: number[] = []

  beforeAll(async () => {
    if (!available) return
    // A second stream of 8 images (events on images 3 and 7), then a file that failed on receipt and two
    // receivers of its first alert, one delivered and one dead: written through the catalog, as the stages would.
    const run = await runCli(['run', '--stream', 'second', '--count', '8'], env)
    expect(run.code, run.stderr).toBe(0)
    const catalog = openSqliteCatalog({ path: path.join(dir, 'imgpipe.db') })
    try {
      await insertOneImage(catalog, {
        stream: 'second',
        imageNum: 9,
        imageFilename: 'notes.txt',
        imageObjectKey: 'image/second/notes.txt',
        contentSha256: null,
        byteSize: 12,
        width: null,
        height: null,
        format: null,
        status: 'failed',
        errorCode: 'IMGPIPE_IMAGE_UNREADABLE',
        errorMessage: 'notes.txt is not an image (unsupported image format)',
      })
      secondAlerts = (await catalog.listAlertViews({ limit: 20, stream: 'second' })).map((view) => view.alert.imageEventAlertId).sort()
      const { subscriptions } = catalog
      const owner = await subscriptions.addSubscriber({ name: 'ops', contact: null })
      for (const name of ['ops-hook', 'ops-mail']) {
        await subscriptions.addSubscription({
          subscriberId: owner.subscriberId,
          name,
          channel: name === 'ops-mail' ? 'smtp' : 'webhook',
          target: name === 'ops-mail' ? 'ops@example.org' : 'https://hooks.example.org/imgpipe',
          secret: name === 'ops-mail' ? null : 'whsec_c2VjcmV0',
          filter: { streams: ['second'] },
        })
      }
      await subscriptions.replay({ since: new Date(0), now: new Date(), wants: (_subscription, facts) => facts.stream === 'second' })
      const due = await subscriptions.claimDue(new Date(), 10, 60_000)
      const first = due.filter((receiver) => receiver.imageEventAlertId === secondAlerts[0])
      expect(first).toHaveLength(2)
      await subscriptions.recordAttempts([first[0]!.receiverId], { kind: 'delivered', responseCode: 204, at: new Date() })
      await subscriptions.recordAttempts([first[1]!.receiverId], { kind: 'dead', error: 'connection refused', responseCode: null })
    } finally {
      await catalog.close()
    }
    expect(secondAlerts).toHaveLength(2)
    await mkdir(path.join(repoRoot, 'test-results'), { recursive: true })
    await page.setViewportSize({ width: 1280, height: 900 })
  })

  it('the home page lists both streams with their counts and a sparkline each', async () => {
    await page.goto(web.url)
    const rows = await tableRows('table[data-streams]')
    expect(rows.map((row) => row.slice(0, 5))).toEqual([
      ['default', '20', '0', '5', '5'],
      ['second', '9', '1', '2', '2'],
    ])
    for (const row of rows) expect(row[5]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)
    for (const stream of ['default', 'second']) {
      const box = await page.locator(`svg[data-sparkline="${stream}"]`).boundingBox()
      expect(box?.width ?? 0).toBeGreaterThan(60)
    }
    expect(await page.locator('svg[data-sparkline="second"]').getAttribute('data-events')).toBe('2')
    expect(await page.locator('nav.site a').allInnerTexts()).toEqual(['Overview', 'Streams', 'Alerts'])
    await page.screenshot({ path: path.join(repoRoot, SHOTS.home), fullPage: true })
  })

  it('/streams is reached from the nav and filters by name', async () => {
    await page.goto(web.url)
    await Promise.all([page.waitForURL(/\/streams$/), page.click('nav.site a:has-text("Streams")')])
    expect(await page.locator('h1').innerText()).toBe('Streams')
    expect((await tableRows('table[data-streams]')).map((row) => row[0])).toEqual(['default', 'second'])
    await page.fill('form[data-filters] input[name=stream]', 'sec')
    await Promise.all([page.waitForURL(/stream=sec/), page.click('form[data-filters] button[type=submit]')])
    expect((await tableRows('table[data-streams]')).map((row) => row.slice(0, 5))).toEqual([['second', '9', '1', '2', '2']])
    expect(await page.locator('form[data-filters] input[name=stream]').inputValue()).toBe('sec')
    await page.goto(new URL('streams', web.url).href)
    await page.screenshot({ path: path.join(repoRoot, SHOTS.streams), fullPage: true })
  })

  it('/alerts lists every alert and filters by stream; a bad time is refused with its reason', async () => {
    await page.goto(new URL('alerts', web.url).href)
    const rows = await tableRows('table[data-alerts]')
    expect(rows).toHaveLength(7)
    expect(rows.map((row) => Number(row[0]?.replace('Alert ', '')))).toEqual([7, 6, 5, 4, 3, 2, 1])
    for (const row of rows) expect(row[4]).toMatch(/^\d+\.\d%$/)
    await page.screenshot({ path: path.join(repoRoot, SHOTS.alerts), fullPage: true })
    await page.fill('form[data-filters] input[name=stream]', 'second')
    await Promise.all([page.waitForURL(/stream=second/), page.click('form[data-filters] button[type=submit]')])
    const filtered = await tableRows('table[data-alerts]')
    expect(filtered.map((row) => Number(row[0]?.replace('Alert ', ''))).sort()).toEqual(secondAlerts)
    expect(filtered.every((row) => row[1] === 'second')).toBe(true)
    const bad = await page.goto(new URL('alerts?from=yesterday', web.url).href)
    expect(bad?.status()).toBe(400)
    expect(await page.locator('[data-message=error]').innerText()).toContain('from: write a time as')
  })

  it('a stream with a failed image explains it in the legend, the tooltip and a table', async () => {
    await page.goto(new URL('streams/second', web.url).href)
    expect(await page.locator('h1').innerText()).toBe('Stream second')
    expect(await page.locator('[data-legend=failed]').isVisible()).toBe(true)
    expect(await page.locator('p.legend').first().innerText()).toContain('failed image: not analysed')
    expect(await page.locator('svg[data-chart=change] g[data-failed] title').textContent()).toBe(
      'Image 9 failed: IMGPIPE_IMAGE_UNREADABLE: notes.txt is not an image (unsupported image format)',
    )
    expect(await tableRows('table[data-failed-images]')).toEqual([
      ['9', 'IMGPIPE_IMAGE_UNREADABLE: notes.txt is not an image (unsupported image format)', expect.stringMatching(/UTC$/)],
    ])
    expect(await page.locator('svg[data-chart=change] text[data-x-tick]').allTextContents()).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ])
    const alertRows = await tableRows('table[data-stream-alerts]')
    expect(alertRows.map((row) => row[1]).sort()).toEqual(['3', '7'])
    expect(await page.locator('ol.stream-alerts').count()).toBe(0)
    await page.screenshot({ path: path.join(repoRoot, SHOTS.failed), fullPage: true })
  })

  it('an alert with deliveries shows them in a padded card set apart from the alert, and a difference legend', async () => {
    await page.goto(new URL(`?alert_num=${secondAlerts[0]}`, web.url).href)
    await loadedImageWidths()
    await page.click('[data-blink-toggle]')
    const rows = await tableRows('section[data-deliveries] table')
    expect(rows.map((row) => row.slice(0, 4))).toEqual([
      ['ops-hook', 'webhook', 'delivered', '1'],
      ['ops-mail', 'smtp', 'dead', '1'],
    ])
    const article = await page.locator('article.alert').boundingBox()
    const card = await page.locator('section[data-deliveries]').boundingBox()
    const gap = (card?.y ?? 0) - ((article?.y ?? 0) + (article?.height ?? 0))
    expect(gap).toBeGreaterThanOrEqual(16)
    expect(gap).toBeLessThanOrEqual(32)
    // The card starts with its heading, not with a band of empty space.
    const heading = await page.locator('section[data-deliveries] h2').boundingBox()
    expect((heading?.y ?? 0) - (card?.y ?? 0)).toBeLessThan(30)
    const padding = (await page.evaluate(
      `(() => { const style = getComputedStyle(document.querySelector('section[data-deliveries] th')); return [parseFloat(style.paddingLeft), parseFloat(style.paddingTop)] })()`,
    )) as [number, number]
    expect(padding[0]).toBeGreaterThanOrEqual(8)
    expect(padding[1]).toBeGreaterThanOrEqual(4)
    expect(await page.locator('[data-difference-legend]').isVisible()).toBe(true)
    expect(await page.locator('[data-difference-legend] dt').allInnerTexts()).toEqual([
      'Grey',
      'Lighter, up to white',
      'Darker, up to black',
      'Colour tint',
    ])
    await page.screenshot({ path: path.join(repoRoot, SHOTS.deliveries), fullPage: true })
    expect(
      problems.filter((problem) => !/status of 400/.test(problem)),
      problems.join('\n'),
    ).toEqual([])
  })
})
