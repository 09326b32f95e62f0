import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { cleanEnv, collect, repoRoot, spawnCli } from '../support/cli.js'

const announce = pathToFileURL(path.join(repoRoot, 'test/support/announce-signal-listener.mjs')).href

describe('a stop signal while the CLI is still starting', () => {
  it('stops it cleanly (exit 0) instead of killing it by signal', async () => {
    const child = spawnCli(
      ['analyze'],
      cleanEnv({ IMGPIPE_DATABASE_URL: 'sqlite::memory:', IMGPIPE_OBJECT_STORE_URL: 'memory:', NODE_OPTIONS: `--import=${announce}` }),
    )
    // The signal goes as soon as main.ts's first line listens (announced by the preload), while the command's
    // modules still load: before early-signals.ts the default action killed the process there. A fixed delay
    // instead failed on a loaded machine, where Node's own start can take longer than any delay chosen.
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('test: listening for SIGTERM')) resolve()
      })
    })
    child.kill('SIGTERM')
    const result = await collect(child, 30_000)
    expect([result.signal, result.code], result.stderr).toEqual([null, 0])
    // Either while the modules load ("received while starting") or in the gap before the command's own handler
    // (handed over to it): a clean stop, never death by signal.
    expect(result.stderr).toMatch(/SIGTERM received( while starting, stopped before doing anything|, stopping cleanly)/)
  })
})
