import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertView } from '../../src/core/types.js'
import { insertAlert, webFixture, type WebFixture } from './web-fixture.js'

let fixture: WebFixture
let view: AlertView
beforeAll(async () => {
  fixture = await webFixture()
  const [newest] = await fixture.context.catalog.listAlertViews({ limit: 1 })
  if (newest === undefined) throw new Error('the pipeline recorded no alert')
  view = newest
})
afterAll(async () => {
  await fixture.close()
})

function get(url: string, headers: Record<string, string> = {}) {
  return fixture.app.inject({ method: 'GET', url, headers })
}

describe('GET /images/:imageId and /difference/:imageEventId', () => {
  it('return the stored bytes of the image, its previous image and the difference image', async () => {
    const { store } = fixture.context
    for (const [url, key] of [
      [`/images/${view.image.imageId}`, view.image.imageObjectKey],
      [`/images/${view.previousImage?.imageId}`, view.previousImage?.imageObjectKey ?? ''],
      [`/difference/${view.event.imageEventId}`, view.event.differenceImageObjectKey ?? ''],
    ] as const) {
      const response = await get(url)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toBe('image/jpeg')
      // Revalidated, not immutable: ids start again after `db reset`, so the same URL may name another image later.
      expect(response.headers['cache-control']).toBe('no-cache')
      expect(response.headers['etag']).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
      expect(response.headers['x-content-type-options']).toBe('nosniff')
      expect(response.headers['content-disposition']).toBeUndefined()
      expect(response.rawPayload.equals(await store.get(key))).toBe(true)
      const meta = await sharp(response.rawPayload).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 350, 350])
    }
  })

  it('answer a revalidation of unchanged bytes with 304 and no body, and of other bytes with 200', async () => {
    const url = `/images/${view.image.imageId}`
    const first = await get(url)
    const etag = String(first.headers['etag'])
    const again = await fixture.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } })
    expect(again.statusCode).toBe(304)
    expect(again.rawPayload.length).toBe(0)
    const stale = await fixture.app.inject({ method: 'GET', url, headers: { 'if-none-match': '"something-else"' } })
    expect(stale.statusCode).toBe(200)
    expect(stale.rawPayload.equals(first.rawPayload)).toBe(true)
  })

  it('answer HEAD with the headers only', async () => {
    const response = await fixture.app.inject({ method: 'HEAD', url: `/images/${view.image.imageId}` })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('image/jpeg')
    expect(response.body).toBe('')
  })

  it('offer a download with a file name on ?download=1', async () => {
    const image = await get(`/images/${view.image.imageId}?download=1`)
    expect(image.headers['content-disposition']).toBe(
      `attachment; filename="${view.image.imageFilename}"; filename*=UTF-8''${view.image.imageFilename}`,
    )
    const difference = await get(`/difference/${view.event.imageEventId}?download=1`)
    const name = `difference_${view.event.differenceImageObjectKey!.split('/').at(-1)}`
    expect(difference.headers['content-disposition']).toBe(`attachment; filename="${name}"; filename*=UTF-8''${name}`)
    expect(difference.rawPayload.length).toBeGreaterThan(0)
  })

  it.each(['abc', '0', '-1', '1.5', '1e2', '%20', '1%2F..', '99999999999999999999'])('reject the id %j with 400', async (id) => {
    for (const route of ['images', 'difference']) {
      const response = await get(`/${route}/${id}`)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' })
    }
  })

  it('answer 404 for unknown ids, as JSON or as a page for a browser', async () => {
    const json = await get('/images/9999')
    expect(json.statusCode).toBe(404)
    expect(json.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'no image 9999' })
    expect(json.headers['cache-control']).toBe('no-store')
    const page = await get('/difference/9999', { accept: 'text/html,application/xhtml+xml' })
    expect(page.statusCode).toBe(404)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.body).toContain('no image event 9999')
    expect(page.body).toContain('href="../assets/viewer.css?v=')
  })

  it('never serve an object named by the URL, only objects rows reference', async () => {
    const key = view.image.imageObjectKey
    const probes = [
      '/images/../../etc/passwd',
      '/images/..%2F..%2Fetc%2Fpasswd',
      '/images/%2e%2e/%2e%2e/etc/passwd',
      '/images/1/../../etc/passwd',
      `/images/${encodeURIComponent(key)}`,
      `/images/${key}`,
      `/${key}`,
      `/${view.event.differenceImageObjectKey}`,
      `/difference/${encodeURIComponent(view.event.differenceImageObjectKey!)}`,
      `/objects/${key}`,
      `/images?key=${encodeURIComponent(key)}`,
      `/images/${view.image.imageId}/../../${key}`,
      `/images/${view.image.imageId}%00`,
    ]
    const stored = await fixture.context.store.get(key)
    for (const probe of probes) {
      const response = await get(probe)
      expect([400, 404], probe).toContain(response.statusCode)
      expect(response.rawPayload.includes(stored.subarray(0, 64)), probe).toBe(false)
    }
  })

  it('answer 404 when the row exists but its object is missing or its key is unusable', async () => {
    const missing = await insertAlert(fixture.context, { stream: 'gone', imageNum: 1 })
    const image = await get(`/images/${missing.imageId}`)
    expect(image.statusCode).toBe(404)
    expect(image.json().message).toBe(`image ${missing.imageId} is missing from the object store`)
    const difference = await get(`/difference/${missing.imageEventId}`)
    expect(difference.statusCode).toBe(404)

    const bad = await insertAlert(fixture.context, {
      stream: 'bad',
      imageNum: 1,
      imageObjectKey: '../outside.jpg',
      differenceKey: '/etc/passwd',
    })
    expect((await get(`/images/${bad.imageId}`)).statusCode).toBe(404)
    expect((await get(`/difference/${bad.imageEventId}`)).statusCode).toBe(404)
  })

  it('never render bytes of an unknown type inline', async () => {
    const bytes = Buffer.from('<html><script>alert(1)</script></html>')
    const odd = await insertAlert(fixture.context, { stream: 'odd', imageNum: 1, imageObjectKey: 'image/odd/image_00001.bin', bytes })
    const response = await get(`/images/${odd.imageId}`)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/octet-stream')
    expect(response.headers['content-disposition']).toMatch(/^attachment; /)
    expect(response.rawPayload.equals(bytes)).toBe(true)
  })

  it('answer 503 when the store or catalog is down', async () => {
    const down = await webFixture({ empty: true })
    const alert = await insertAlert(down.context, { stream: 's', imageNum: 1, bytes: Buffer.from('x') })
    await down.context.store.close()
    const storeDown = await down.app.inject({ method: 'GET', url: `/images/${alert.imageId}` })
    expect(storeDown.statusCode).toBe(503)
    await down.context.catalog.close()
    const catalogDown = await down.app.inject({ method: 'GET', url: `/images/${alert.imageId}` })
    expect(catalogDown.statusCode).toBe(503)
    expect(catalogDown.json().message).toContain('catalog is closed')
    await down.close()
  })
})
