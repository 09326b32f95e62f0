import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cleanEnv, collect, repoRoot, type CliResult } from '../support/cli.js'

// The README's quick start: `npm start -- --port 8001` (npm appends the arguments after `--` to the script's
// last command, `imgpipe web`) and `IMGPIPE_WEB_PORT=8001 npm start`, and `npm run imgpipe -- …`.
let dir: string
let child: ChildProcess | undefined
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-start-'))
})
afterEach(async () => {
  // npm runs the script in a shell of its own: the whole process group goes.
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL')
  child = undefined
  await rm(dir, { recursive: true, force: true })
})

function env(extra: Record<string, string> = {}): Record<string, string> {
  return cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'imgpipe.db')}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
    ...extra,
  })
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

/** `npm start …` until it prints the viewer's URL; then the run's output so far and that URL. */
async function npmStart(args: string[], environment: Record<string, string>): Promise<{ url: string; stdout: string }> {
  const started = spawn('npm', ['start', ...args], { cwd: repoRoot, env: environment, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  child = started
  const finished: Promise<CliResult> = collect(started, 300_000)
  let stdout = ''
  return new Promise((resolve, reject) => {
    started.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const url = /^imgpipe web: (http:\/\/\S+\/)$/m.exec(stdout)?.[1]
      if (url !== undefined) resolve({ url, stdout })
    })
    finished.then((result) => reject(new Error(`npm start exited (${result.code}) first\n${result.stdout}\n${result.stderr}`)), reject)
  })
}

describe('npm start', () => {
  it('runs the pipeline, then serves the viewer on the port given after --', async () => {
    const port = await freePort()
    const { url, stdout } = await npmStart(['--', '--port', String(port)], env())
    expect(url).toBe(`http://127.0.0.1:${port}/`)
    expect(stdout).toMatch(/\b10 images?\b/)
    const health = await fetch(new URL('health', url))
    expect(health.status).toBe(200)
    const alert = await fetch(new URL('?alert_num=1', url))
    expect(alert.status).toBe(200)
  })

  it('serves the viewer on IMGPIPE_WEB_PORT', async () => {
    const port = await freePort()
    const { url } = await npmStart([], env({ IMGPIPE_WEB_PORT: String(port) }))
    expect(url).toBe(`http://127.0.0.1:${port}/`)
    expect((await fetch(new URL('health', url))).status).toBe(200)
  })
})

describe('npm run imgpipe', () => {
  it('passes the arguments after -- to the CLI', async () => {
    const run = spawn('npm', ['run', '--silent', 'imgpipe', '--', 'db', 'create'], {
      cwd: repoRoot,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const created = await collect(run, 120_000)
    expect(created.code, created.stderr).toBe(0)
    const counts = await collect(
      spawn('npm', ['run', '--silent', 'imgpipe', '--', 'db', 'counts', '--json'], {
        cwd: repoRoot,
        env: env(),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      120_000,
    )
    expect(counts.code, counts.stderr).toBe(0)
    expect(JSON.parse(counts.stdout)).toMatchObject({ tables: { image_metadata: 0 } })
  })
})
