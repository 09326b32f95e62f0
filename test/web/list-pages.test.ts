/**
 * The viewer's ways around (issue 16, item 10): the streams index on the home page, `/streams` and `/alerts`
 * (paged, filtered by stream and time, 400 on a bad query), and the nav that leads to them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertAlert, webFixture, type WebFixture } from './web-fixture.js'
import { insertOneAlert, insertOneImage, recordOneAnalysis } from '../support/catalog-writes.js'

let fixture: WebFixture
beforeAll(async () => {
  // Streams a and b of 8 images, events and alerts on images 3 and 7 of each (alerts 1-4).
  fixture = await webFixture()
})
afterAll(async () => {
  await fixture.close()
})

function get(url: string) {
  return fixture.app.inject({ url, headers: { accept: 'text/html' } })
}

/** The text of the cells of the table row of one stream. */
function streamRow(page: string, stream: string): string[] {
  const row = new RegExp(`<tr data-stream-row="${stream}">(.*?)</tr>`).exec(page)?.[1]
  if (row === undefined) throw new Error(`no row for stream ${stream}`)
  return [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((cell) => (cell[1] ?? '').replace(/<[^>]+>/g, ''))
}

function alertRows(page: string): number[] {
  return [...page.matchAll(/<tr data-alert-row="(\d+)">/g)].map((match) => Number(match[1]))
}

describe('the home page', () => {
  it('lists the streams with their images, failed images, events, alerts, last received time and a sparkline', async () => {
    const response = await get('/')
    expect(response.statusCode).toBe(200)
    const page = response.body
    expect(page).toContain('<h1>Streams</h1>')
    expect(page).not.toContain('Enter an image event alert number to see')
    const a = streamRow(page, 'a')
    expect(a.slice(0, 5)).toEqual(['a', '8', '0', '2', '2'])
    expect(a[5]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)
    expect(streamRow(page, 'b').slice(0, 5)).toEqual(['b', '8', '0', '2', '2'])
    expect(page).toContain('<a href="./streams/a">a</a>')
    expect(page).toContain('<a href="./alerts?stream=a">2</a>')
    // Events on images 3 and 7 of 8: two bins of the sparkline rise, the others stay on the floor.
    const spark =
      /<svg class="sparkline" data-sparkline="a" data-events="2"[^>]*><title>2 events among images 1–8 of stream a<\/title><polyline points="([^"]+)"/.exec(
        page,
      )
    expect(spark).not.toBeNull()
    const ys = (spark?.[1] ?? '').split(' ').map((point) => Number(point.split(',')[1]))
    expect(ys).toHaveLength(8)
    expect(ys.filter((y) => y < Math.max(...ys))).toHaveLength(2)
    expect(ys.findIndex((y) => y < Math.max(...ys))).toBe(2)
  })

  it('has a nav to the overview, the streams and the alerts, marking the current page', async () => {
    const home = (await get('/')).body
    expect(home).toContain(
      '<nav class="site" aria-label="Viewer pages"><a href="./" aria-current="page">Overview</a><a href="./streams">Streams</a><a href="./alerts">Alerts</a></nav>',
    )
    expect((await get('/streams/a')).body).toContain('<a href="../streams" aria-current="page">Streams</a>')
    expect((await get('/alerts')).body).toContain('<a href="./alerts" aria-current="page">Alerts</a>')
  })
})

describe('GET /streams', () => {
  it('lists every stream with counts, filtered by name prefix and by time range', async () => {
    const all = await get('/streams')
    expect(all.statusCode).toBe(200)
    expect(all.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(streamRow(all.body, 'a').slice(0, 5)).toEqual(['a', '8', '0', '2', '2'])
    const onlyB = (await get('/streams?stream=b')).body
    expect([...onlyB.matchAll(/data-stream-row="([^"]+)"/g)].map((match) => match[1])).toEqual(['b'])
    expect(onlyB).toContain('<input name="stream" type="text" value="b"')
    const past = (await get('/streams?to=2000-01-01')).body
    expect(past).not.toContain('data-stream-row')
    expect(past).toContain('No streams match.')
    const today = new Date().toISOString().slice(0, 10)
    const ranged = (await get(`/streams?from=${today}&to=${today}`)).body
    expect(streamRow(ranged, 'a').slice(0, 5)).toEqual(['a', '8', '0', '2', '2'])
    expect(ranged).toContain('Counts are of images received in the time range.')
  })

  it('pages by name and keeps the filter in the links', async () => {
    for (let index = 0; index < 27; index += 1) {
      await insertOneImage(fixture.context.catalog, {
        stream: `page-${String(index).padStart(2, '0')}`,
        imageNum: 1,
        imageFilename: 'x.jpg',
        imageObjectKey: `image/page-${index}/x.jpg`,
        contentSha256: null,
        byteSize: 1,
        width: 1,
        height: 1,
        format: 'jpeg',
        status: 'received',
      })
    }
    const first = (await get('/streams?stream=page-')).body
    const names = [...first.matchAll(/data-stream-row="([^"]+)"/g)].map((match) => match[1])
    expect(names).toHaveLength(25)
    expect(names[0]).toBe('page-00')
    expect(names.at(-1)).toBe('page-24')
    expect(first).toContain('<a href="./streams?stream=page-&amp;after=page-24" data-page="next">Next →</a>')
    const second = (await get('/streams?stream=page-&after=page-24')).body
    expect([...second.matchAll(/data-stream-row="([^"]+)"/g)].map((match) => match[1])).toEqual(['page-25', 'page-26'])
    expect(second).not.toContain('data-page="next"')
    expect(second).toContain('<a href="./streams?stream=page-" data-page="first">← First</a>')
  })

  it.each([
    ['stream=a%20b', 'not a stream name'],
    ['stream=a&stream=b', 'give stream once'],
    ['from=yesterday', 'from: write a time as 2026-12-07'],
    ['from=2026-02-30', 'from: no such date or time'],
    ['from=2026-12-07T10:00&to=2026-12-07T09:00', 'from must be before to'],
    [`after=${'x'.repeat(300)}`, 'after: a stream name is at most 64 characters'],
  ])('answers 400 to ?%s and says why', async (query, reason) => {
    const response = await get(`/streams?${query}`)
    expect(response.statusCode).toBe(400)
    expect(response.body).toContain(reason)
    expect(response.body).not.toContain('data-stream-row')
  })
})

describe('GET /alerts', () => {
  it('lists the alerts newest first, with stream, image, change and times', async () => {
    const response = await get('/alerts')
    expect(response.statusCode).toBe(200)
    const page = response.body
    expect(alertRows(page)).toEqual([4, 3, 2, 1])
    const view = await fixture.context.catalog.getAlertView(1)
    expect(page).toMatch(
      new RegExp(
        `<tr data-alert-row="1"><td><a href="\\./\\?alert_num=1">Alert 1</a></td><td><a href="\\./streams/${view?.image.stream}">${view?.image.stream}</a></td><td class="number">${view?.image.imageNum}</td><td>changed</td><td class="number">\\d+\\.\\d%</td>`,
      ),
    )
  })

  it('filters by stream and by time range', async () => {
    const onlyA = (await get('/alerts?stream=a')).body
    const expected = (await fixture.context.catalog.listAlertViews({ limit: 50 }))
      .filter((view) => view.image.stream === 'a')
      .map((view) => view.alert.imageEventAlertId)
    expect(expected).toHaveLength(2)
    expect(alertRows(onlyA)).toEqual(expected)
    expect(alertRows((await get('/alerts?stream=nobody')).body)).toEqual([])
    expect((await get('/alerts?from=2999-01-01')).body).toContain('No alerts match.')
    const now = Date.now()
    const around = `from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now + 3_600_000).toISOString()}&stream=b`
    expect(alertRows((await get(`/alerts?${around}`)).body)).toHaveLength(2)
  })

  it('pages backwards by alert number and keeps the filter', async () => {
    const context = fixture.context
    for (let imageNum = 1; imageNum <= 27; imageNum += 1) await insertAlert(context, { stream: 'many', imageNum })
    const first = (await get('/alerts?stream=many')).body
    const numbers = alertRows(first)
    expect(numbers).toHaveLength(25)
    const oldest = numbers.at(-1)
    expect(first).toContain(`<a href="./alerts?stream=many&amp;before=${oldest}" data-page="older">Older →</a>`)
    const second = (await get(`/alerts?stream=many&before=${oldest}`)).body
    expect(alertRows(second)).toHaveLength(2)
    expect(Math.max(...alertRows(second))).toBeLessThan(oldest ?? 0)
    expect(second).not.toContain('data-page="older"')
    expect(second).toContain('<a href="./alerts?stream=many" data-page="newest">← Newest</a>')
  })

  it.each([
    ['stream=%3Cb%3E', 'not a stream name'],
    ['stream=a..b', 'not a stream name'],
    ['before=abc', 'before: an alert number is a whole number of 1 or more'],
    ['before=0', 'before: an alert number'],
    ['to=2026-13-01', 'to: no such date or time'],
    ['from=2026-12-07T25:00', 'from: no such date or time'],
  ])('answers 400 to ?%s and says why', async (query, reason) => {
    const response = await get(`/alerts?${query}`)
    expect(response.statusCode).toBe(400)
    expect(response.body).toContain(reason)
    expect(response.body).not.toContain('data-alert-row')
  })
})

describe('hostile stream names and query values', () => {
  it('are escaped on the home page, /streams and /alerts', async () => {
    const hostile = `<img src=x onerror="alert(1)">`
    // Rows written by the original's receiving client need not follow imgpipe's naming rules.
    const { image } = await insertOneImage(fixture.context.catalog, {
      stream: hostile,
      imageNum: 1,
      imageFilename: 'x.jpg',
      imageObjectKey: 'image/hostile/x.jpg',
      contentSha256: null,
      byteSize: 1,
      width: 1,
      height: 1,
      format: 'jpeg',
      status: 'received',
    })
    const { event } = await recordOneAnalysis(
      fixture.context.catalog,
      image.imageId,
      { previousImageId: null, l2Norm: 1, changedFraction: 0.5, maxAbsDifference: 1, analyzedAt: new Date() },
      { imageId: image.imageId, differenceImageObjectKey: 'd/x.jpg', eventType: 'changed', analyzer: 't', analyzerVersion: '0' },
    )
    await insertOneAlert(fixture.context.catalog, event?.imageEventId ?? 0)
    const escaped = '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    for (const url of ['/', '/streams', '/alerts']) {
      const page = (await get(url)).body
      expect(page, url).toContain(escaped)
      expect(page, url).not.toContain(hostile)
    }
    expect((await get('/')).body).toContain(`<a href="./streams/${encodeURIComponent(hostile)}">${escaped}</a>`)
  })

  it('typed into the filter come back escaped and shortened', async () => {
    const typed = `"><script>alert(1)</script>${'x'.repeat(200)}`
    const response = await get(`/alerts?from=${encodeURIComponent(typed)}`)
    expect(response.statusCode).toBe(400)
    expect(response.body).not.toContain('<script>alert(1)')
    expect(response.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;xxx')
    expect(response.body).not.toContain('x'.repeat(100))
  })
})
