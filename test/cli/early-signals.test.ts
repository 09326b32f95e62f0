import { describe, expect, it } from 'vitest'
import { cleanEnv, collect, spawnCli } from '../support/cli.js'

describe('a stop signal while the CLI is still starting', () => {
  it('stops it cleanly (exit 0) instead of killing it by signal', async () => {
    const child = spawnCli(['analyze'], cleanEnv({ IMGPIPE_DATABASE_URL: 'sqlite::memory:', IMGPIPE_OBJECT_STORE_URL: 'memory:' }))
    // After Node's own start (main.ts listens from its first line), while the modules load (about half a second):
    // before early-signals.ts the default action killed the process here.
    await new Promise((resolve) => setTimeout(resolve, 250))
    child.kill('SIGTERM')
    const result = await collect(child, 30_000)
    expect([result.signal, result.code], result.stderr).toEqual([null, 0])
  })
})
