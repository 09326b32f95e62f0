import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openSqliteCatalog } from '../../../src/adapters/sqlite/sqlite-catalog.js'
import { checkExposure, isLoopback, portNumber, serverUrl } from '../../../src/cli/commands/web-command.js'
import { loadWebSettings } from '../../../src/config/load-config.js'
import { cleanEnv, collect } from '../../support/cli.js'
import { spawnWeb, startWeb, type WebProcess } from '../../web/web-process.js'

let dir: string
let running: WebProcess | undefined
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-web-'))
  // The viewer only reads: it needs a catalog made by `imgpipe db create` (or a run) first.
  const catalog = openSqliteCatalog({ path: path.join(dir, 'imgpipe.db') })
  try {
    await catalog.migrate()
  } finally {
    await catalog.close()
  }
})
afterEach(async () => {
  await running?.stop('SIGKILL')
  running = undefined
  await rm(dir, { recursive: true, force: true })
})

function env(): Record<string, string> {
  return cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'imgpipe.db')}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
  })
}

function run(args: readonly string[]) {
  return collect(spawnWeb(args, env()), 60_000)
}

describe('imgpipe web', () => {
  it('prints its help', async () => {
    const result = await run(['web', '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Usage: imgpipe web [options]')
    for (const option of ['--port <port>', '--host <host>', '--poll-interval <ms>']) expect(result.stdout).toContain(option)
  })

  it('starts on a free port, prints its URL, answers /health and stops on SIGTERM with exit code 0', async () => {
    running = await startWeb(['--port', '0'], env())
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(running.url).not.toBe('http://127.0.0.1:0/')
    const health = await fetch(new URL('health', running.url))
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    // The catalog made above: the page lists no alert yet.
    const page = await (await fetch(running.url)).text()
    expect(page).toContain('No alerts yet.')
    const metrics = await (await fetch(new URL('metrics', running.url))).text()
    expect(metrics).toMatch(/^imgpipe_web_http_requests_total\{method="GET",route="\/",status_code="200"\} 1$/m)
    expect(metrics).toContain('process_resident_memory_bytes')
    // An open event stream must not keep the server from stopping.
    const events = await fetch(new URL('events', running.url))
    expect(events.status).toBe(200)
    const result = await running.stop('SIGTERM')
    running = undefined
    expect(result.code).toBe(0)
    expect(result.stdout.trim().split('\n')).toHaveLength(1)
    await expect(fetch(new URL('health', 'http://127.0.0.1:1/'))).rejects.toThrow()
  })

  it('stops on SIGINT too', async () => {
    running = await startWeb(['--port', '0', '--host', '127.0.0.1'], env())
    const result = await running.stop('SIGINT')
    running = undefined
    expect(result.code).toBe(0)
  })

  it.each([['abc'], ['-1'], ['65536'], ['1.5']])('rejects --port %s with exit code 2', async (port) => {
    const result = await run(['web', '--port', port])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('port number')
  })

  /** A port held by another listener for the duration of `body`. */
  async function withBusyPort(body: (port: number) => Promise<void>): Promise<void> {
    const blocker: Server = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    try {
      await body((blocker.address() as AddressInfo).port)
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  }

  /** The `imgpipe:` lines on stderr (the failure line; JSON log lines are not among them). */
  const failureLines = (stderr: string): string[] =>
    stderr
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('imgpipe:'))

  it('reports a port in use in one line with exit code 2, naming both ways to choose another', async () => {
    await withBusyPort(async (port) => {
      const result = await run(['web', '--port', String(port)])
      expect(result.code).toBe(2)
      expect(failureLines(result.stderr)).toEqual([
        `imgpipe: --port ${port}: address http://127.0.0.1:${port}/ already in use; choose another with --port <port> or IMGPIPE_WEB_PORT=<port> (0 picks a free one) [IMGPIPE_CONFIG_INVALID]`,
      ])
    })
  })

  it('listens on IMGPIPE_WEB_PORT, and says so when that port is in use', async () => {
    await withBusyPort(async (port) => {
      const result = await collect(spawnWeb(['web'], { ...env(), IMGPIPE_WEB_PORT: String(port) }), 60_000)
      expect(result.code).toBe(2)
      const [line] = failureLines(result.stderr)
      expect(line).toContain(`IMGPIPE_WEB_PORT=${port}: address http://127.0.0.1:${port}/ already in use`)
      expect(line).toContain('--port <port>')
      // --port wins over the variable.
      running = await startWeb(['--port', '0'], { ...env(), IMGPIPE_WEB_PORT: String(port) })
      expect(new URL(running.url).port).not.toBe(String(port))
    })
    // A port that was free a moment ago: the URL printed and the server both use it.
    const free = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo
        probe.close(() => resolve(port))
      })
    })
    await running?.stop()
    running = await startWeb([], { ...env(), IMGPIPE_WEB_PORT: String(free) })
    expect(running.url).toBe(`http://127.0.0.1:${free}/`)
    expect((await fetch(new URL('health', running.url))).status).toBe(200)
  })

  it('listens on IMGPIPE_WEB_HOST (--host wins), and the global --web-port flag sets the port', async () => {
    running = await startWeb(['--web-port', '0'], { ...env(), IMGPIPE_WEB_HOST: '127.0.0.2', IMGPIPE_WEB_PORT: '1' })
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/$/)
    expect(new URL(running.url).port).not.toBe('1')
    expect((await fetch(new URL('health', running.url))).status).toBe(200)
    await running.stop()
    running = await startWeb(['--port', '0', '--host', '127.0.0.1'], { ...env(), IMGPIPE_WEB_HOST: '127.0.0.2' })
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
  })

  it('refuses a bad IMGPIPE_WEB_PORT with exit code 2, naming the variable', async () => {
    const result = await collect(spawnWeb(['web'], { ...env(), IMGPIPE_WEB_PORT: '80000' }), 60_000)
    expect(result.code).toBe(2)
    expect(failureLines(result.stderr)).toEqual([
      'imgpipe: IMGPIPE_WEB_PORT="80000" is invalid: expected a number from 0 to 65535 [IMGPIPE_CONFIG_INVALID]',
    ])
  })

  it('refuses to listen beyond loopback without a token, in one line with exit code 2, naming no secret', async () => {
    const result = await collect(spawnWeb(['web', '--port', '0', '--host', '0.0.0.0'], env()), 60_000)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('IMGPIPE_WEB_TOKEN')
  })

  it('warns when listening beyond loopback with a token, and asks for it', async () => {
    const token = 'secret-token-for-the-test'
    running = await startWeb(['--port', '0', '--host', '0.0.0.0'], { ...env(), IMGPIPE_WEB_TOKEN: token })
    const port = new URL(running.url).port
    const denied = await fetch(`http://127.0.0.1:${port}/api/alerts`)
    expect(denied.status).toBe(401)
    const allowed = await fetch(`http://127.0.0.1:${port}/api/alerts`, { headers: { authorization: `Bearer ${token}` } })
    expect(allowed.status).toBe(200)
    const result = await running.stop()
    expect(result.stderr).toContain('reachable from other machines')
    expect(result.stdout + result.stderr).not.toContain(token)
  })

  it('reports a bad database setting with exit code 2', async () => {
    const result = await collect(spawnWeb(['web', '--port', '0'], cleanEnv({ IMGPIPE_DATABASE_URL: 'oracle://db/x' })), 60_000)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('IMGPIPE_DATABASE_URL')
  })
})

describe('portNumber and serverUrl', () => {
  it('accept 0-65535 and bracket IPv6 hosts', () => {
    expect(portNumber('0')).toBe(0)
    expect(portNumber('65535')).toBe(65535)
    expect(() => portNumber('65536')).toThrow('port number')
    expect(serverUrl('127.0.0.1', 8000)).toBe('http://127.0.0.1:8000/')
    expect(serverUrl('::1', 8000)).toBe('http://[::1]:8000/')
  })
})

describe('checkExposure', () => {
  it('allows loopback binds without a token and names the bound host', () => {
    expect(isLoopback('127.0.0.1')).toBe(true)
    expect(isLoopback('::1')).toBe(true)
    expect(isLoopback('0.0.0.0')).toBe(false)
    expect(checkExposure('127.0.0.1', loadWebSettings({}))).toEqual({ allowedHosts: ['127.0.0.1'], warning: null })
  })

  it('needs a token beyond loopback unless IMGPIPE_WEB_AUTH=off, and warns either way', () => {
    expect(() => checkExposure('0.0.0.0', loadWebSettings({}))).toThrow('IMGPIPE_WEB_TOKEN')
    const off = checkExposure('192.0.2.1', loadWebSettings({ IMGPIPE_WEB_AUTH: 'off', IMGPIPE_WEB_ALLOWED_HOSTS: 'viewer.example' }))
    expect(off.warning).toContain('without authentication')
    expect(off.allowedHosts).toEqual(['192.0.2.1', 'viewer.example'])
    expect(() => loadWebSettings({ IMGPIPE_WEB_TOKEN: 'short' })).toThrow('at least 16 characters')
    expect(() => loadWebSettings({ IMGPIPE_WEB_TOKEN: 'short' })).not.toThrow('short')
  })
})
