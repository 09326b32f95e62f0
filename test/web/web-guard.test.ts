/**
 * Exposure and limits of the viewer (issue 9 F5, F6 and the small ones): Host allow-list, optional token,
 * Node's own error answers with the security headers, bounded echo, capped connections and event streams.
 */
import { connect, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { credentialOf, hostNameOf } from '../../src/web/web-guard.js'
import { webFixture, type WebFixture } from './web-fixture.js'

let fixture: WebFixture | undefined
afterEach(async () => {
  await fixture?.close()
  fixture = undefined
})

async function listening(options: Parameters<typeof webFixture>[0] = {}): Promise<{ fixture: WebFixture; base: string; port: number }> {
  fixture = await webFixture(options)
  await fixture.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = fixture.app.server.address() as AddressInfo
  return { fixture, base: `http://127.0.0.1:${port}`, port }
}

/** Sends raw bytes and returns everything the server answered before closing. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = ''
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk))
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
  })
}

describe('the Host allow-list', () => {
  it('answers 421 to a host name it was not told about (DNS rebinding), and serves localhost names', async () => {
    fixture = await webFixture()
    const evil = await fixture.app.inject({ url: '/api/alerts', headers: { host: 'evil.example' } })
    expect(evil.statusCode).toBe(421)
    expect(evil.body).not.toContain('"alerts"')
    expect(evil.headers['content-security-policy']).toContain("default-src 'none'")
    for (const host of ['localhost:8000', '127.0.0.1', '[::1]:80', 'LOCALHOST.']) {
      expect((await fixture.app.inject({ url: '/api/alerts', headers: { host } })).statusCode, host).toBe(200)
    }
  })

  it('also serves the host names it is given, and any with *', async () => {
    fixture = await webFixture({ allowedHosts: ['viewer.example'] })
    expect((await fixture.app.inject({ url: '/health', headers: { host: 'viewer.example:8000' } })).statusCode).toBe(200)
    expect((await fixture.app.inject({ url: '/health', headers: { host: 'other.example' } })).statusCode).toBe(421)
    await fixture.close()
    fixture = await webFixture({ allowedHosts: ['*'] })
    expect((await fixture.app.inject({ url: '/health', headers: { host: 'other.example' } })).statusCode).toBe(200)
  })

  it('reads host names from Host headers', () => {
    expect(hostNameOf('Example.COM:8080')).toBe('example.com')
    expect(hostNameOf('[::1]:80')).toBe('::1')
    expect(hostNameOf('a b')).toBeNull()
    expect(hostNameOf('user@evil')).toBeNull()
    expect(hostNameOf(undefined)).toBeNull()
  })
})

describe('the access token', () => {
  const token = 'a-long-enough-secret-token'

  it('is asked for on every route but /health, as Basic or Bearer, and never echoed', async () => {
    fixture = await webFixture({ token })
    const denied = await fixture.app.inject({ url: '/api/alerts' })
    expect(denied.statusCode).toBe(401)
    expect(denied.headers['www-authenticate']).toMatch(/^Basic realm=/)
    expect(denied.body).not.toContain(token)
    for (const url of ['/', '/images/1', '/events', '/assets/viewer.css']) {
      expect((await fixture.app.inject({ url })).statusCode, url).toBe(401)
    }
    const wrong = await fixture.app.inject({ url: '/api/alerts', headers: { authorization: 'Bearer not-the-token' } })
    expect(wrong.statusCode).toBe(401)
    const bearer = await fixture.app.inject({ url: '/api/alerts', headers: { authorization: `Bearer ${token}` } })
    expect(bearer.statusCode).toBe(200)
    const basic = `Basic ${Buffer.from(`anyone:${token}`).toString('base64')}`
    expect((await fixture.app.inject({ url: '/?alert_num=1', headers: { authorization: basic } })).statusCode).toBe(200)
    expect((await fixture.app.inject({ url: '/health' })).statusCode).toBe(200)
  })

  it('is read from Bearer and Basic headers only', () => {
    expect(credentialOf('Bearer abc')).toBe('abc')
    expect(credentialOf(`Basic ${Buffer.from('u:p:q').toString('base64')}`)).toBe('p:q')
    expect(credentialOf('Digest abc')).toBeNull()
    expect(credentialOf(undefined)).toBeNull()
  })
})

describe('answers Node gives before any route', () => {
  it('carry the security headers (400 for a malformed request, 431 for oversized headers)', async () => {
    const { port } = await listening()
    const bad = await raw(port, 'GARBAGE\r\n\r\n')
    expect(bad).toMatch(/^HTTP\/1\.1 400 /)
    expect(bad.toLowerCase()).toContain("content-security-policy: default-src 'none'")
    expect(bad.toLowerCase()).toContain('x-content-type-options: nosniff')
    const big = await raw(port, `GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`)
    expect(big).toMatch(/^HTTP\/1\.1 431 /)
    expect(big.toLowerCase()).toContain("content-security-policy: default-src 'none'")
  })
})

describe('an invalid alert_num', () => {
  it('is echoed back shortened, in the message and in the form field', async () => {
    fixture = await webFixture()
    const typed = 'y'.repeat(20_000)
    const page = await fixture.app.inject({ url: `/?alert_num=${typed}`, headers: { accept: 'text/html' } })
    expect(page.statusCode).toBe(400)
    expect(page.body).toContain(`${'y'.repeat(80)}…`)
    expect(page.body).not.toContain('y'.repeat(81))
    expect(page.body.length).toBeLessThan(15_000)
  })
})

describe('limits', () => {
  it('caps event streams per client, and frees the place when a stream closes', async () => {
    const { base } = await listening({ limits: { maxEventStreamsPerClient: 2 } })
    const controllers = [new AbortController(), new AbortController()]
    const open = await Promise.all(controllers.map((controller) => fetch(`${base}/events`, { signal: controller.signal })))
    expect(open.map((response) => response.status)).toEqual([200, 200])
    const third = await fetch(`${base}/events`)
    expect(third.status).toBe(503)
    expect(third.headers.get('retry-after')).toBe('30')
    expect(await third.text()).toContain('too many live alert streams')
    controllers[0]?.abort()
    let again = 503
    for (let tries = 0; tries < 100 && again === 503; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      const controller = new AbortController()
      const response = await fetch(`${base}/events`, { signal: controller.signal })
      again = response.status
      controller.abort()
    }
    expect(again).toBe(200)
    controllers[1]?.abort()
  })

  it('caps event streams in all', async () => {
    const { base } = await listening({ limits: { maxEventStreams: 1 } })
    const controller = new AbortController()
    expect((await fetch(`${base}/events`, { signal: controller.signal })).status).toBe(200)
    expect((await fetch(`${base}/events`)).status).toBe(503)
    controller.abort()
  })

  it('drops connections beyond the cap', async () => {
    const { port } = await listening({ limits: { maxConnections: 2 } })
    const sockets = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<{ closed: Promise<boolean> }>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => resolve({ closed }))
            const closed = new Promise<boolean>((done) => {
              socket.on('close', () => done(true))
              setTimeout(() => {
                socket.destroy()
                done(false)
              }, 500).unref()
            })
            socket.on('error', () => undefined)
          }),
      ),
    )
    const closedEarly = await Promise.all(sockets.map((socket) => socket.closed))
    expect(closedEarly.filter(Boolean)).toHaveLength(1)
  })

  it('closes a connection whose request headers do not arrive in time', async () => {
    const { port } = await listening({ limits: { headersTimeoutMs: 200, requestTimeoutMs: 200 } })
    const started = Date.now()
    // Node checks the timeouts on a tick the app shortens with them.
    const answer = await raw(port, 'GET / HTTP/1.1\r\nHost: localhost\r\n')
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer.toLowerCase()).toContain('content-security-policy')
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})
