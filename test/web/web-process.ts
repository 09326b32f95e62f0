/**
 * `imgpipe web` as a child process, as a user starts it: for the command's own test and the browser test.
 */
import type { ChildProcess } from 'node:child_process'
import { collect, spawnCli, type CliResult } from '../support/cli.js'

/** Spawns `imgpipe <args>` where args start with `web`. */
export function spawnWeb(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawnCli(args, env)
}

export interface WebProcess {
  child: ChildProcess
  /** The URL the command printed, e.g. `http://127.0.0.1:41234/`. */
  url: string
  /** Resolves when the process exits, with everything it printed. */
  finished: Promise<CliResult>
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>
}

/** Starts `imgpipe web …` and waits for the line with its URL (or fails with what the process printed). */
export async function startWeb(args: readonly string[], env: Record<string, string>): Promise<WebProcess> {
  const child = spawnWeb(['web', ...args], env)
  const finished = collect(child, 300_000)
  let stdout = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer | string) => {
      stdout += chunk.toString()
      const match = /^imgpipe web: (http:\/\/\S+\/)$/m.exec(stdout)
      if (match?.[1] !== undefined) resolve(match[1])
    })
    finished.then(
      (result) =>
        reject(
          new Error(`imgpipe web exited (${result.code}) before printing its URL\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`),
        ),
      reject,
    )
  })
  return {
    child,
    url,
    finished,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return finished
    },
  }
}
