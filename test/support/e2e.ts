/**
 * Helpers for end-to-end tests that run the CLI's stages as separate processes on the real servers
 * (Kafka + MariaDB/PostgreSQL + S3Proxy) and compare with the embedded one-process run.
 */
import type { ChildProcess } from 'node:child_process'
import { expect } from 'vitest'
import { collect, spawnCli, type CliResult } from './cli.js'

export { deploy, type Deployment } from './services-deployment.js'
export { embeddedRows } from './pipeline-outcome.js'

export interface Stage {
  child: ChildProcess
  finished: Promise<CliResult>
  /** Resolves when the stage logged that it consumes. */
  consuming: Promise<void>
  /** The end of what the stage has logged so far, for a failure message. */
  logTail: (chars?: number) => string
}

export function startStage(stage: 'analyze' | 'alert', env: Record<string, string>): Stage {
  const child = spawnCli([stage, '--json'], { ...env, IMGPIPE_LOG_LEVEL: 'info' })
  let seen = ''
  const consuming = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      if (seen.includes(`"${stage}: consuming"`)) resolve()
    })
    child.on('exit', () => reject(new Error(`${stage} exited before consuming: ${seen.slice(-2000)}`)))
  })
  consuming.catch(() => undefined)
  return { child, finished: collect(child, 600_000), consuming, logTail: (chars = 4_000) => `${stage}:\n${seen.slice(-chars)}` }
}

/** SIGTERM, then the stage must finish its message in hand, commit and exit 0 with its JSON summary. */
export async function stopStage(stage: Stage): Promise<{ processed: Record<string, number> }> {
  stage.child.kill('SIGTERM')
  const result = await stage.finished
  expect(result.code, result.stderr.slice(-2000)).toBe(0)
  return JSON.parse(result.stdout) as { processed: Record<string, number> }
}
