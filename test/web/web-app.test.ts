import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertView } from '../../src/core/types.js'
import { CONTENT_SECURITY_POLICY } from '../../src/web/web-responses.js'
import { insertAlert, webFixture, type WebFixture } from './web-fixture.js'

let fixture: WebFixture
let views: AlertView[]
beforeAll(async () => {
  fixture = await webFixture()
  views = await fixture.context.catalog.listAlertViews({ limit: 100 })
})
afterAll(async () => {
  await fixture.close()
})

async function get(url: string, headers: Record<string, string> = {}) {
  return fixture.app.inject({ method: 'GET', url, headers })
}

/** The figures of an alert page: role, `<img src>` and the caption's text. */
function figures(page: string): { role: string; src: string | null; caption: string }[] {
  return [...page.matchAll(/<figure data-role="([^"]+)">([\s\S]*?)<\/figure>/g)].map((match) => ({
    role: match[1] ?? '',
    src: /<img src="([^"]+)"/.exec(match[2] ?? '')?.[1] ?? null,
    caption: (/<figcaption>([\s\S]*?)<\/figcaption>/.exec(match[2] ?? '')?.[1] ?? '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  }))
}

function viewFor(stream: string, imageNum: number): AlertView {
  const view = views.find((candidate) => candidate.image.stream === stream && candidate.image.imageNum === imageNum)
  if (view === undefined) throw new Error(`no alert for ${stream}:${imageNum}`)
  return view
}

describe('the viewer page', () => {
  it('shows the lookup form and the recent alerts, newest first, with security headers', async () => {
    const response = await get('/')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY)
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    const page = response.body
    expect(page).toMatch(/<form class="lookup" method="get" action="\.\/"/)
    expect(page).toContain('<input id="alert_num" name="alert_num"')
    const listed = [...page.matchAll(/<li data-alert="(\d+)"><a href="\?alert_num=(\d+)"/g)].map((match) => [
      Number(match[1]),
      Number(match[2]),
    ])
    expect(views).toHaveLength(4)
    expect(listed).toEqual(views.map((view) => [view.alert.imageEventAlertId, view.alert.imageEventAlertId]))
    expect(page).toContain('data-live="true"')
    expect(page).toContain(`data-after="${views[0]?.alert.imageEventAlertId}"`)
  })

  it('shows the previous image of the same stream, the image and the difference image, with captions', async () => {
    // Ids interleave (a1=1, b1=2, a2=3...): the previous image of a:3 is a:2 (id 3), not id − 1.
    for (const [stream, imageNum] of [
      ['a', 3],
      ['b', 3],
      ['a', 7],
      ['b', 7],
    ] as const) {
      const view = viewFor(stream, imageNum)
      const previous = view.previousImage
      expect(previous?.stream).toBe(stream)
      expect(previous?.imageNum).toBe(imageNum - 1)
      expect(previous?.imageId).not.toBe(view.image.imageId - 1)
      const response = await get(`/?alert_num=${view.alert.imageEventAlertId}`)
      expect(response.statusCode).toBe(200)
      const shown = figures(response.body)
      expect(shown.map((figure) => [figure.role, figure.src])).toEqual([
        ['previous', `images/${previous?.imageId}`],
        ['image', `images/${view.image.imageId}`],
        ['difference', `difference/${view.event.imageEventId}`],
      ])
      expect(shown[0]?.caption).toContain(`Previous image ${stream} · image ${imageNum - 1}`)
      expect(shown[1]?.caption).toContain(`Image ${stream} · image ${imageNum}`)
      expect(shown[2]?.caption).toContain(`Difference image image event ${view.event.imageEventId}`)
      const page = response.body
      expect(page).toContain(`<title>Alert ${view.alert.imageEventAlertId} · imgpipe image event viewer</title>`)
      expect(page).toContain(`value="${view.alert.imageEventAlertId}"`)
      expect(page).toMatch(new RegExp(`data-metric="changed">\\d+(\\.\\d+)?%<`))
      expect(page).toContain(`aria-current="page"><span class="num">#${view.alert.imageEventAlertId}</span>`)
      expect(page).toContain('class="blink-stage"')
      expect(page).toContain(`href="images/${view.image.imageId}?download=1" download`)
      expect(page).toContain(`href="difference/${view.event.imageEventId}?download=1" download`)
    }
  })

  it('shows the metrics, timestamps, event type and analyzer of the event', async () => {
    const view = viewFor('a', 3)
    const page = (await get(`/?alert_num=${view.alert.imageEventAlertId}`)).body
    const metric = (name: string) => new RegExp(`data-metric="${name}">([^<]+)<`).exec(page)?.[1]
    expect(metric('l2')).toBe(new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(view.image.l2Norm ?? NaN))
    expect(metric('max')).toBe(`${view.image.maxAbsDifference} / 255`)
    expect(page).toContain(`<time datetime="${view.event.detectedAt.toISOString()}">`)
    expect(page).toContain(`<time datetime="${view.alert.createdAt.toISOString()}">`)
    expect(page).toContain(`<dt>Analyzer</dt><dd>${view.event.analyzer}`)
    expect(page).toContain(`<dt>Image event</dt><dd>${view.event.imageEventId} · changed</dd>`)
  })

  it.each(['', '   ', 'abc', '-1', '0', '1.5', '1e3', '0x10', '99999999999999999999'])(
    'explains that %j is not an alert number',
    async (typed) => {
      const response = await get(`/?alert_num=${encodeURIComponent(typed)}`)
      expect(response.statusCode).toBe(400)
      expect(response.body).toContain('data-message="error"')
      expect(response.body).toContain(typed.trim() === '' ? 'Enter an alert number' : 'Not an alert number')
      expect(response.body).toContain(`<span class="typed" data-typed>${typed}</span>`)
      expect(figures(response.body)).toEqual([])
    },
  )

  it('shows typed markup as text, escaped in the message and in the form', async () => {
    const typed = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`
    const response = await get(`/?alert_num=${encodeURIComponent(typed)}`)
    expect(response.statusCode).toBe(400)
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;'
    expect(response.body).toContain(`<span class="typed" data-typed>${escaped}</span>`)
    expect(response.body).toContain(`value="${escaped}"`)
    expect(response.body).not.toContain('<script>alert')
    expect(response.body).not.toContain('<img src=x')
  })

  it('shortens a very long typed text and rejects repeated alert numbers', async () => {
    const long = await get(`/?alert_num=${'x'.repeat(500)}`)
    expect(long.body).toContain(`data-typed>${'x'.repeat(80)}…</span>`)
    const repeated = await get('/?alert_num=1&alert_num=2')
    expect(repeated.statusCode).toBe(400)
    expect(repeated.body).toContain('Give a single alert number')
  })

  it('says so for an unknown alert number', async () => {
    const response = await get('/?alert_num=999')
    expect(response.statusCode).toBe(404)
    expect(response.body).toContain('No image event for alert 999.')
    expect(figures(response.body)).toEqual([])
  })

  it('uses relative URLs only, so it works behind a proxy under any host, port or path', async () => {
    const page = (await get(`/?alert_num=${views[0]?.alert.imageEventAlertId}`)).body
    const urls = [...page.matchAll(/\b(?:href|src|action)="([^"]*)"/g)].map((match) => match[1] ?? '')
    expect(urls.length).toBeGreaterThan(10)
    for (const url of urls) expect(url).not.toMatch(/^(\/|[a-z]+:)/i)
  })

  it('serves the script and stylesheet it links, cacheable by version', async () => {
    const page = (await get('/')).body
    for (const [pattern, type] of [
      [/href="\.\/(assets\/viewer\.css\?v=[0-9a-f]+)"/, 'text/css; charset=utf-8'],
      [/src="\.\/(assets\/viewer\.js\?v=[0-9a-f]+)"/, 'text/javascript; charset=utf-8'],
      [/href="\.\/(assets\/favicon\.svg\?v=[0-9a-f]+)"/, 'image/svg+xml'],
    ] as const) {
      const url = pattern.exec(page)?.[1]
      expect(url).toBeDefined()
      const asset = await get(`/${url}`)
      expect(asset.statusCode).toBe(200)
      expect(asset.headers['content-type']).toBe(type)
      expect(asset.headers['cache-control']).toContain('immutable')
      const again = await get(`/${url}`, { 'if-none-match': String(asset.headers['etag']) })
      expect(again.statusCode).toBe(304)
    }
    expect((await get('/assets/viewer.css')).headers['cache-control']).toBe('no-cache')
  })

  it('answers unknown paths with 404, as HTML for a browser and JSON otherwise', async () => {
    const html = await get('/nowhere/at/all', { accept: 'text/html,*/*' })
    expect(html.statusCode).toBe(404)
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8')
    // Relative links from two directories down still reach the viewer's root.
    expect(html.body).toContain('href="../../assets/viewer.css?v=')
    const json = await get('/nowhere')
    expect(json.statusCode).toBe(404)
    expect(json.json()).toMatchObject({ statusCode: 404, error: 'Not Found' })
  })
})

describe('an alert on the first image of a stream', () => {
  it('says there is no previous image', async () => {
    const lonely = await webFixture({ empty: true })
    try {
      const first = await insertAlert(lonely.context, { stream: 'lonely', imageNum: 1 })
      const page = (await lonely.app.inject({ method: 'GET', url: `/?alert_num=${first.alertNumber}` })).body
      const shown = figures(page)
      expect(shown.map((figure) => [figure.role, figure.src])).toEqual([
        ['previous', null],
        ['image', `images/${first.imageId}`],
        ['difference', `difference/${first.imageEventId}`],
      ])
      expect(shown[0]?.caption).toBe('Previous image none in stream lonely')
      expect(page).toContain('No previous image: image 1 is the first image of stream lonely.')
      expect(page).toContain('Nothing to blink against')
      expect(page).not.toContain('previousImageDownload')
    } finally {
      await lonely.close()
    }
  })

  it('escapes what the catalog holds: stream-looking text, file names', async () => {
    const odd = await webFixture({ empty: true })
    try {
      const alert = await insertAlert(odd.context, { stream: 's1', imageNum: 1, imageFilename: '<b>bold</b>&"quoted".jpg' })
      const page = (await odd.app.inject({ method: 'GET', url: `/?alert_num=${alert.alertNumber}` })).body
      expect(page).toContain('&lt;b&gt;bold&lt;/b&gt;&amp;&quot;quoted&quot;.jpg')
      expect(page).not.toContain('<b>bold')
    } finally {
      await odd.close()
    }
  })
})

describe('the recent-alerts list on the page', () => {
  it('pages backwards 20 at a time, keeping the alert being looked at', async () => {
    const many = await webFixture({ empty: true })
    try {
      const numbers: number[] = []
      for (let imageNum = 1; imageNum <= 45; imageNum += 1) {
        numbers.push((await insertAlert(many.context, { stream: 'm', imageNum })).alertNumber)
      }
      numbers.reverse()
      const listed = (page: string) => [...page.matchAll(/<li data-alert="(\d+)">/g)].map((match) => Number(match[1]))
      let url = `/?alert_num=${numbers[30]}`
      const pages: number[][] = []
      for (let guard = 0; guard < 5; guard += 1) {
        const page = (await many.app.inject({ method: 'GET', url })).body
        expect(page).toContain(`data-alert-view="${numbers[30]}"`)
        pages.push(listed(page))
        expect(page).toContain(`data-live="${pages.length === 1}"`)
        const older = /<a href="\?([^"]+)" data-page="older">/.exec(page)?.[1]
        if (older === undefined) break
        url = `/?${older.replace(/&amp;/g, '&')}`
        expect(url).toBe(`/?alert_num=${numbers[30]}&before=${pages.at(-1)?.at(-1)}`)
      }
      expect(pages.map((page) => page.length)).toEqual([20, 20, 5])
      expect(pages.flat()).toEqual(numbers)
    } finally {
      await many.close()
    }
  })
})
