/**
 * `GET /metrics` (issue 12): Prometheus text from the registry the app was given, with the viewer's own
 * `imgpipe_web_*` series moving as requests are answered.
 */
import { collectDefaultMetrics, Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { webFixture, type WebFixture } from './web-fixture.js'

let fixture: WebFixture | undefined
afterEach(async () => {
  await fixture?.close()
  fixture = undefined
})

/** The value of one series line, e.g. `imgpipe_web_http_requests_total{method="GET",route="/api/alerts",status_code="200"}`. */
function valueOf(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    const inside = line.slice(name.length + 1, line.indexOf('}'))
    if (wanted.every((pair) => inside.split(',').includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return 0
}

describe('GET /metrics', () => {
  it('serves the registry in Prometheus text, with request counts and durations that move', async () => {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    fixture = await webFixture({ metrics: registry })
    const scrape = async () => {
      const response = await fixture?.app.inject({ url: '/metrics' })
      expect(response?.statusCode).toBe(200)
      expect(response?.headers['content-type']).toContain('text/plain')
      return response?.body ?? ''
    }
    const before = await scrape()
    expect(before).toContain('process_cpu_user_seconds_total')
    expect(before).toContain('# TYPE imgpipe_web_http_requests_total counter')
    const labels = { method: 'GET', route: '/api/alerts', status_code: '200' }
    const start = valueOf(before, 'imgpipe_web_http_requests_total', labels)
    for (let i = 0; i < 3; i += 1) expect((await fixture.app.inject({ url: '/api/alerts' })).statusCode).toBe(200)
    await fixture.app.inject({ url: '/no/such/page' })
    await fixture.app.inject({ url: '/images/99999' })
    const after = await scrape()
    expect(valueOf(after, 'imgpipe_web_http_requests_total', labels)).toBe(start + 3)
    expect(valueOf(after, 'imgpipe_web_http_request_duration_seconds_count', { method: 'GET', route: '/api/alerts' })).toBe(start + 3)
    // Unknown URLs share one series; ids stay in the pattern, not in labels.
    expect(valueOf(after, 'imgpipe_web_http_requests_total', { route: 'unmatched', status_code: '404' })).toBe(1)
    expect(valueOf(after, 'imgpipe_web_http_requests_total', { route: '/images/:imageId', status_code: '404' })).toBe(1)
    expect(after).not.toContain('/images/99999')
    expect(after).toContain('imgpipe_web_event_streams 0')
  })

  it('is absent without a registry', async () => {
    fixture = await webFixture()
    expect((await fixture.app.inject({ url: '/metrics' })).statusCode).toBe(404)
  })
})
