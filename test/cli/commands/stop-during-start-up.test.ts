/**
 * F8 (issue 9): `analyze`, `alert` and `receive` started while Kafka is unreachable used to ignore the first
 * SIGTERM (they said "stopping cleanly" and kept retrying topic creation, once for 14 minutes). Now a stop
 * during start-up ends the process at once, with exit code 0 and its summary.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanEnv, collect, spawnCli } from '../../support/cli.js'

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('a stop while Kafka is unreachable at start-up', () => {
  it.each(['analyze', 'alert', 'receive'])('ends `imgpipe %s` on the first SIGTERM', async (stage) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-f8-'))
    dirs.push(dir)
    const env = cleanEnv({
      IMGPIPE_DATABASE_URL: `sqlite:${dir}/db.sqlite`,
      IMGPIPE_OBJECT_STORE_URL: `file:${dir}/objects`,
      IMGPIPE_BROKER_URL: `kafka://127.0.0.1:${await closedPort()}`,
      IMGPIPE_LOG_LEVEL: 'info',
    })
    const child = spawnCli([stage, '--json'], env)
    // Signal once the stage is retrying against the dead broker, which is where it used to stay.
    await new Promise<void>((resolve, reject) => {
      let seen = ''
      child.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString()
        if (/retrying/.test(seen)) resolve()
      })
      child.on('exit', () => reject(new Error(`${stage} exited before retrying: ${seen.slice(-1000)}`)))
    })
    child.kill('SIGTERM')
    // Well below the ~20 s a topic-creation attempt takes against a dead broker, and the minutes it took before.
    const result = await collect(child, 15_000)
    expect(result.code, result.stderr.slice(-1500)).toBe(0)
    expect(result.stderr).toContain('stopped by signal during start-up')
    expect(JSON.parse(result.stdout)).toMatchObject({ stopped: true, outcomes: { received: 0 } })
  })
})
