/**
 * Pictures in the viewer (issue 12): thumbnails made once per image and kept in the store, served by
 * image id; the stream page with its inline SVG charts; the alert page's link to its stream.
 */
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { thumbnailKey } from '../../src/web/thumbnails.js'
import { insertAlert, webFixture, type WebFixture } from './web-fixture.js'

let fixture: WebFixture
beforeAll(async () => {
  fixture = await webFixture()
})
afterAll(async () => {
  await fixture.close()
})

function get(url: string) {
  return fixture.app.inject({ url, headers: { accept: 'text/html' } })
}

describe('GET /thumbnails/:imageId', () => {
  it('makes a small JPEG once, keeps it in the store under the content hash, and serves it from there', async () => {
    const image = await fixture.context.catalog.getImage(5)
    if (image === null) throw new Error('fixture image 5 missing')
    const key = thumbnailKey(image)
    expect(key).toMatch(/^thumbnail\/[0-9a-f]{64}\.jpg$/)
    expect(await fixture.context.store.stat(key ?? '')).toBeNull()
    const first = await get('/thumbnails/5')
    expect(first.statusCode).toBe(200)
    expect(first.headers['content-type']).toBe('image/jpeg')
    const meta = await sharp(first.rawPayload).metadata()
    expect(meta.format).toBe('jpeg')
    expect(meta.width).toBeLessThanOrEqual(96)
    expect(meta.height).toBeLessThanOrEqual(72)
    expect((await fixture.context.store.get(key ?? '')).equals(first.rawPayload)).toBe(true)
    // Served from the store: the original is not needed any more.
    const original = await fixture.context.store.get(image.imageObjectKey)
    await fixture.context.store.delete([image.imageObjectKey])
    try {
      const second = await get('/thumbnails/5')
      expect(second.statusCode).toBe(200)
      expect(second.rawPayload.equals(first.rawPayload)).toBe(true)
    } finally {
      await fixture.context.store.put(image.imageObjectKey, original)
    }
  })

  it('answers 400 for a bad id and 404 for an unknown image', async () => {
    expect((await get('/thumbnails/abc')).statusCode).toBe(400)
    expect((await get('/thumbnails/99999')).statusCode).toBe(404)
  })
})

describe('the recent-alerts list', () => {
  it('shows a thumbnail per alert, by image id', async () => {
    const page = (await get('/')).body
    const views = await fixture.context.catalog.listAlertViews({ limit: 20 })
    for (const view of views) expect(page).toContain(`<img class="thumb" src="thumbnails/${view.image.imageId}"`)
  })
})

describe('GET /streams/:stream', () => {
  it('charts the stream: a line per metric, its alerts as links to them, and the last hour per minute', async () => {
    const response = await get('/streams/a')
    expect(response.statusCode).toBe(200)
    const page = response.body
    expect(page).toContain('<h1>Stream a</h1>')
    expect(page).toContain('data-chart="change"')
    expect(page).toContain('data-series="changed"')
    expect(page).toContain('data-series="l2"')
    const alerts = (await fixture.context.catalog.listAlertViews({ limit: 20 })).filter((view) => view.image.stream === 'a')
    const linked = [...page.matchAll(/<a href="\.\.\/\?alert_num=(\d+)" data-alert-point="\d+">/g)].map((match) => Number(match[1]))
    expect(linked.sort()).toEqual(alerts.map((view) => view.alert.imageEventAlertId).sort())
    expect(alerts).toHaveLength(2)
    // All 8 images of stream a arrived within this minute: one bar of 8 at the right end.
    expect(page).toMatch(/<rect data-images-minute="59" [^>]*><title>8 images<\/title>/)
    expect(page).toMatch(/<rect data-alerts-minute="59" [^>]*><title>2 alerts<\/title>/)
    expect(page).toContain('images received: 8')
    // CSP-safe: no inline style or script, nothing from elsewhere.
    expect(page).not.toMatch(/\sstyle=|<style|<script>|https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
  })

  it('answers 400 for a name that cannot be a stream, and 404 for a stream without images', async () => {
    expect((await get('/streams/%3Cscript%3E')).statusCode).toBe(400)
    expect((await get('/streams/a..b')).statusCode).toBe(400)
    const none = await get('/streams/nobody')
    expect(none.statusCode).toBe(404)
    expect(none.body).toContain('no images in stream nobody')
  })

  it('is linked from the alert page', async () => {
    const [view] = await fixture.context.catalog.listAlertViews({ limit: 1 })
    const page = (await get(`/?alert_num=${view?.alert.imageEventAlertId}`)).body
    expect(page).toContain(`<a href="streams/${view?.image.stream}" data-stream-link>`)
  })
})

describe('an event whose difference image is not made yet', () => {
  it('shows "not available yet" on the alert page and at /difference/:id', async () => {
    // The catalog of this branch keeps the key NOT NULL; an empty key stands for the null that is coming.
    const alert = await insertAlert(fixture.context, { stream: 'pending', imageNum: 1, differenceKey: '' })
    const page = (await get(`/?alert_num=${alert.alertNumber}`)).body
    expect(page).toContain('The difference image is not available yet.')
    expect(page).not.toContain(`difference/${alert.imageEventId}"`)
    const difference = await fixture.app.inject({ url: `/difference/${alert.imageEventId}` })
    expect(difference.statusCode).toBe(404)
    expect(difference.json<{ message: string }>().message).toContain('not available yet')
  })
})

describe('thumbnails on a store the viewer may not write', () => {
  it('are still served, made on each request', async () => {
    const { buildWebApp } = await import('../../src/web/web-app.js')
    const store = fixture.context.store
    const readOnly = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'put') return () => Promise.reject(new Error('AccessDenied'))
        const value: unknown = Reflect.get(target, property, receiver)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    })
    const app = await buildWebApp({ catalog: fixture.context.catalog, store: readOnly })
    try {
      const image = await fixture.context.catalog.getImage(13)
      const key = thumbnailKey(image ?? { contentSha256: null }) ?? 'x'
      expect(await store.stat(key)).toBeNull()
      const response = await app.inject({ url: '/thumbnails/13' })
      expect(response.statusCode).toBe(200)
      expect((await sharp(response.rawPayload).metadata()).format).toBe('jpeg')
      expect(await store.stat(key)).toBeNull()
    } finally {
      await app.close()
    }
  })
})
