import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertView } from '../../src/core/types.js'
import type { AlertJson } from '../../src/web/alert-json.js'
import { MAX_PAGE_SIZE } from '../../src/web/web-params.js'
import { webFixture, type WebFixture } from './web-fixture.js'

let fixture: WebFixture
let views: AlertView[]
beforeAll(async () => {
  fixture = await webFixture()
  views = await fixture.context.catalog.listAlertViews({ limit: 100 })
})
afterAll(async () => {
  await fixture.close()
})

function get(url: string) {
  return fixture.app.inject({ method: 'GET', url })
}

/** A link from a response body, resolved as a browser would against the URL that returned it. */
function resolve(link: string, from: string): string {
  const url = new URL(link, `http://viewer.test${from}`)
  return `${url.pathname}${url.search}`
}

interface AlertPage {
  alerts: AlertJson[]
  limit: number
  nextBefore: number | null
  next: string | null
}

describe('GET /api/alerts', () => {
  it('lists alerts newest first as AlertViews with their links', async () => {
    const response = await get('/api/alerts')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    const body = response.json<AlertPage>()
    expect(body.limit).toBe(20)
    expect(body.next).toBeNull()
    expect(body.nextBefore).toBeNull()
    expect(body.alerts.map((alert) => alert.number)).toEqual(views.map((view) => view.alert.imageEventAlertId))
    const [first] = body.alerts
    const [view] = views
    expect(first).toMatchObject({
      alert: {
        imageEventAlertId: view?.alert.imageEventAlertId,
        imageEventId: view?.event.imageEventId,
        createdAt: view?.alert.createdAt.toISOString(),
      },
      event: { imageEventId: view?.event.imageEventId, imageId: view?.image.imageId, eventType: 'changed' },
      image: { imageId: view?.image.imageId, stream: view?.image.stream, imageNum: view?.image.imageNum },
      previousImage: { imageId: view?.previousImage?.imageId },
      urls: {
        page: `../?alert_num=${view?.alert.imageEventAlertId}`,
        image: `../images/${view?.image.imageId}`,
        previousImage: `../images/${view?.previousImage?.imageId}`,
        difference: `../difference/${view?.event.imageEventId}`,
      },
    })
  })

  it('pages backwards with `next` until every alert was listed once', async () => {
    let url: string | null = '/api/alerts?limit=1'
    const seen: number[] = []
    for (let guard = 0; url !== null && guard < 10; guard += 1) {
      const from: string = url
      const body: AlertPage = (await get(from)).json<AlertPage>()
      expect(body.alerts).toHaveLength(1)
      seen.push(...body.alerts.map((alert) => alert.number))
      url = body.next === null ? null : resolve(body.next, from)
      if (body.next !== null) expect(body.next).toBe(`alerts?limit=1&before=${body.nextBefore}`)
    }
    expect(seen).toEqual(views.map((view) => view.alert.imageEventAlertId))
  })

  it('resolves every link to something the viewer serves', async () => {
    const from = '/api/alerts?limit=2'
    const body = (await get(from)).json<AlertPage>()
    for (const alert of body.alerts) {
      for (const link of [alert.urls.image, alert.urls.previousImage, alert.urls.difference, alert.urls.imageDownload]) {
        const response = await get(resolve(link ?? '', from))
        expect(response.statusCode).toBe(200)
        expect(response.headers['content-type']).toBe('image/jpeg')
      }
      const page = await get(resolve(alert.urls.page, from))
      expect(page.statusCode).toBe(200)
      expect(page.body).toContain(`data-alert-view="${alert.number}"`)
    }
  })

  it(`caps limit at ${MAX_PAGE_SIZE} and rejects bad limits and cursors`, async () => {
    expect((await get('/api/alerts?limit=100000')).json<AlertPage>().limit).toBe(MAX_PAGE_SIZE)
    for (const query of ['limit=0', 'limit=abc', 'limit=-5', 'limit=1.5', 'before=x', 'before=0', 'before=1&before=2']) {
      const response = await get(`/api/alerts?${query}`)
      expect(response.statusCode, query).toBe(400)
      expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' })
    }
    const older = (await get(`/api/alerts?before=${views[1]?.alert.imageEventAlertId}`)).json<AlertPage>()
    expect(older.alerts.map((alert) => alert.number)).toEqual(views.slice(2).map((view) => view.alert.imageEventAlertId))
  })
})

describe('GET /api/alerts/:number', () => {
  it('returns the AlertView with image links relative to itself', async () => {
    const view = views.at(-1)
    const url = `/api/alerts/${view?.alert.imageEventAlertId}`
    const response = await get(url)
    expect(response.statusCode).toBe(200)
    const body = response.json<AlertJson>()
    expect(body).toEqual(JSON.parse(JSON.stringify({ number: view?.alert.imageEventAlertId, ...view, urls: body.urls, deliveries: [] })))
    expect(body.urls.image).toBe(`../../images/${view?.image.imageId}`)
    const image = await get(resolve(body.urls.image, url))
    expect(image.statusCode).toBe(200)
    expect(image.rawPayload.equals(await fixture.context.store.get(view?.image.imageObjectKey ?? ''))).toBe(true)
  })

  it('answers 404 for an unknown number and 400 for a non-number', async () => {
    const unknown = await get('/api/alerts/999')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'no image event for alert 999' })
    expect((await get('/api/alerts/abc')).statusCode).toBe(400)
    expect((await get('/api/alerts/0')).statusCode).toBe(400)
  })
})

describe('GET /health', () => {
  it('is ok while the catalog answers, 503 with the reason when it does not', async () => {
    const healthy = await get('/health')
    expect(healthy.statusCode).toBe(200)
    expect(healthy.json()).toEqual({ status: 'ok' })

    const down = await webFixture({ empty: true })
    try {
      await down.context.catalog.close()
      const response = await down.app.inject({ method: 'GET', url: '/health' })
      expect(response.statusCode).toBe(503)
      expect(response.json()).toEqual({ status: 'unavailable', reason: 'catalog: catalog is closed' })
      const page = await down.app.inject({ method: 'GET', url: '/?alert_num=1' })
      expect(page.statusCode).toBe(503)
      expect(page.body).toContain('The catalog database does not answer.')
      const api = await down.app.inject({ method: 'GET', url: '/api/alerts' })
      expect(api.statusCode).toBe(503)
    } finally {
      await down.close()
    }
  })
})
