import type { AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { CatalogUnavailableError } from '../../src/core/errors.js'
import { silentLogger } from '../../src/core/logger.js'
import type { Catalog } from '../../src/core/ports/catalog.js'
import type { AlertView } from '../../src/core/types.js'
import { AlertFeed } from '../../src/web/alert-events.js'
import type { AlertJson } from '../../src/web/alert-json.js'
import { fakeView, runMock, webFixture, type WebFixture } from './web-fixture.js'

interface SseEvent {
  id?: string
  event?: string
  data?: string
  comments: string[]
}

/** Parses SSE text as it arrives; `waitFor` resolves once the events seen so far satisfy the predicate. */
class SseReader {
  readonly events: SseEvent[] = []
  ended = false
  #buffer = ''
  #waiters: (() => void)[] = []

  push(text: string): void {
    this.#buffer += text
    let end: number
    while ((end = this.#buffer.indexOf('\n\n')) !== -1) {
      const block = this.#buffer.slice(0, end)
      this.#buffer = this.#buffer.slice(end + 2)
      const event: SseEvent = { comments: [] }
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) event.comments.push(line.slice(1).trim())
        else {
          const colon = line.indexOf(':')
          const field = line.slice(0, colon)
          const value = line.slice(colon + 1).replace(/^ /, '')
          if (field === 'id' || field === 'event' || field === 'data') event[field] = value
        }
      }
      this.events.push(event)
    }
    this.#wake()
  }

  end(): void {
    this.ended = true
    this.#wake()
  }

  alerts(): AlertJson[] {
    return this.events.filter((event) => event.event === 'alert').map((event) => JSON.parse(event.data ?? '') as AlertJson)
  }

  async waitFor(predicate: (reader: SseReader) => boolean): Promise<void> {
    while (!predicate(this)) {
      if (this.ended) throw new Error(`stream ended before the expected events; got ${JSON.stringify(this.events)}`)
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake()
  }
}

function readStream(stream: Readable): SseReader {
  const reader = new SseReader()
  stream.setEncoding('utf8').on('data', (chunk: string) => reader.push(chunk))
  stream.on('end', () => reader.end()).on('close', () => reader.end())
  return reader
}

/** Opens `/events` over real HTTP (inject would wait for a response that never ends). */
async function connect(base: string, path: string, headers: Record<string, string> = {}) {
  const abort = new AbortController()
  const response = await fetch(`${base}${path}`, { headers, signal: abort.signal })
  const reader = new SseReader()
  const body = response.body
  if (body === null) throw new Error('no body')
  void (async () => {
    const decoder = new TextDecoder()
    try {
      for await (const chunk of body) reader.push(decoder.decode(chunk as Uint8Array, { stream: true }))
    } catch {
      // aborted by the test
    }
    reader.end()
  })()
  return { response, reader, abort }
}

let fixture: WebFixture | undefined
afterEach(async () => {
  await fixture?.close()
  fixture = undefined
})

async function listening(): Promise<{ fixture: WebFixture; base: string }> {
  fixture = await webFixture({ pollIntervalMs: 10 })
  await fixture.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = fixture.app.server.address() as AddressInfo
  return { fixture, base: `http://127.0.0.1:${port}` }
}

describe('GET /events', () => {
  it('pushes an alert recorded after the page connected, and only new ones', async () => {
    const { fixture, base } = await listening()
    const before = await fixture.context.catalog.listAlertViews({ limit: 100 })
    const { response, reader, abort } = await connect(base, '/events')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
    await reader.waitFor((r) => r.events.length > 0)
    expect(reader.events[0]?.comments).toEqual([`alerts after ${before[0]?.alert.imageEventAlertId}`])

    // Images 9-12 of stream a: image 11 is rotated, so one new event and alert.
    await runMock(fixture.context, ['a'], 12, 9)
    await reader.waitFor((r) => r.alerts().length > 0)
    const [pushed] = reader.alerts()
    const [newest] = await fixture.context.catalog.listAlertViews({ limit: 1 })
    expect(pushed?.number).toBe(newest?.alert.imageEventAlertId)
    expect(pushed).toMatchObject({ image: { stream: 'a', imageNum: 11 }, urls: { image: `images/${newest?.image.imageId}` } })
    expect(reader.events.find((event) => event.event === 'alert')?.id).toBe(String(newest?.alert.imageEventAlertId))
    expect(before.map((view) => view.alert.imageEventAlertId)).not.toContain(pushed?.number)
    abort.abort()
  })

  it('sends the alerts after `after`, oldest first, and resumes after Last-Event-ID', async () => {
    const { fixture, base } = await listening()
    const numbers = (await fixture.context.catalog.listAlertViews({ limit: 100 })).map((view) => view.alert.imageEventAlertId).reverse()
    const all = await connect(base, '/events?after=0')
    await all.reader.waitFor((r) => r.alerts().length === numbers.length)
    expect(all.reader.alerts().map((alert) => alert.number)).toEqual(numbers)
    all.abort.abort()

    const resumed = await connect(base, '/events?after=0', { 'last-event-id': String(numbers[1]) })
    await resumed.reader.waitFor((r) => r.alerts().length === numbers.length - 2)
    expect(resumed.reader.alerts().map((alert) => alert.number)).toEqual(numbers.slice(2))
    resumed.abort.abort()
  })

  it('rejects a bad `after`, and HEAD', async () => {
    const { base } = await listening()
    expect((await fetch(`${base}/events`, { method: 'HEAD' })).status).toBe(404)
    for (const after of ['x', '-1', '1.5']) {
      const response = await fetch(`${base}/events?after=${after}`)
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ statusCode: 400 })
    }
  })

  it('ends open streams on app.close(), which then returns', async () => {
    const { fixture, base } = await listening()
    const first = await connect(base, '/events')
    const second = await connect(base, '/events?after=0')
    await first.reader.waitFor((r) => r.events.length > 0)
    await second.reader.waitFor((r) => r.alerts().length > 0)
    await fixture.app.close()
    await first.reader.waitFor((r) => r.ended)
    await second.reader.waitFor((r) => r.ended)
  })
})

/** A catalog that only lists alerts, from an array the test changes; everything else is unused. */
function listingCatalog(alerts: AlertView[], failures: { next: number }): Catalog {
  return {
    async listAlertViews(options: { limit: number; beforeId?: number }) {
      if (failures.next > 0) {
        failures.next -= 1
        throw new CatalogUnavailableError('database restarting')
      }
      return [...alerts]
        .sort((a, b) => b.alert.imageEventAlertId - a.alert.imageEventAlertId)
        .filter((view) => options.beforeId === undefined || view.alert.imageEventAlertId < options.beforeId)
        .slice(0, options.limit)
    },
  } as Partial<Catalog> as Catalog
}

describe('AlertFeed', () => {
  it('delivers a burst larger than one catalog page, in order, once', async () => {
    const alerts = [fakeView(1)]
    const feed = new AlertFeed({ catalog: listingCatalog(alerts, { next: 0 }), logger: silentLogger, pollIntervalMs: 5 })
    const reader = readStream(await feed.open(undefined))
    alerts.push(...Array.from({ length: 130 }, (_, index) => fakeView(index + 2)))
    await reader.waitFor((r) => r.alerts().length >= 130)
    expect(reader.alerts().map((alert) => alert.number)).toEqual(Array.from({ length: 130 }, (_, index) => index + 2))
    feed.close()
    await reader.waitFor((r) => r.ended)
  })

  it('delivers an alert whose lower number committed after a higher one, exactly once', async () => {
    const alerts = [fakeView(1), fakeView(3)]
    const feed = new AlertFeed({ catalog: listingCatalog(alerts, { next: 0 }), logger: silentLogger, pollIntervalMs: 5 })
    const reader = readStream(await feed.open(1))
    await reader.waitFor((r) => r.alerts().length === 1)
    alerts.push(fakeView(2))
    await reader.waitFor((r) => r.alerts().length === 2)
    alerts.push(fakeView(4))
    await reader.waitFor((r) => r.alerts().length === 3)
    expect(reader.alerts().map((alert) => alert.number)).toEqual([3, 2, 4])
    feed.close()
  })

  it('keeps clients through a catalog outage and catches up afterwards', async () => {
    const alerts = [fakeView(1)]
    const failures = { next: 3 }
    const feed = new AlertFeed({ catalog: listingCatalog(alerts, failures), logger: silentLogger, pollIntervalMs: 5 })
    const reader = readStream(await feed.open(1))
    alerts.push(fakeView(2))
    await reader.waitFor((r) => r.alerts().length === 1)
    expect(failures.next).toBe(0)
    expect(reader.alerts()[0]?.number).toBe(2)
    expect(feed.clientCount).toBe(1)
    feed.close()
    expect(feed.clientCount).toBe(0)
    await expect(feed.open(0)).rejects.toThrow('closed')
  })

  it('forgets a client whose stream was destroyed, and sends keep-alive comments', async () => {
    const feed = new AlertFeed({ catalog: listingCatalog([], { next: 0 }), logger: silentLogger, pollIntervalMs: 5, heartbeatMs: 5 })
    const stream = await feed.open(0)
    const reader = readStream(stream)
    await reader.waitFor((r) => r.events.some((event) => event.comments.includes('keep-alive')))
    stream.destroy()
    await reader.waitFor((r) => r.ended)
    expect(feed.clientCount).toBe(0)
    feed.close()
  })
})
