/**
 * `imgpipe web` as a child process, as a user starts it: for the command's own test and the browser test.
 *
 * Until `src/cli/program.ts` registers the command, the built program has no `web`; the process then runs
 * a launcher that adds `registerWebCommand` to the built program and handles errors as `runCli` does.
 * Once the command is registered, the real CLI (`dist/cli/main.js web`) runs and the launcher is unused.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { cliPath, collect, repoRoot, spawnCli, type CliResult } from '../support/cli.js'

const distUrl = (file: string) => JSON.stringify(pathToFileURL(path.join(repoRoot, 'dist', file)).href)

/** Mirrors src/cli/main.ts and runCli's error handling, with the web command added. */
const LAUNCHER = `
import { CommanderError } from 'commander'
const { buildProgram } = await import(${distUrl('cli/program.js')})
const { registerWebCommand } = await import(${distUrl('cli/commands/web-command.js')})
const { describeError, isImgpipeError } = await import(${distUrl('core/errors.js')})
const program = buildProgram()
registerWebCommand(program)
try {
  await program.parseAsync(['node', 'imgpipe', ...process.argv.slice(1)])
  process.exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : 2
  else {
    const code = isImgpipeError(error) ? error.code : 'IMGPIPE_INTERNAL'
    process.stderr.write('imgpipe: ' + describeError(error) + ' [' + code + ']\\n')
    process.exitCode = code === 'IMGPIPE_CONFIG_INVALID' || code === 'IMGPIPE_USAGE' ? 2 : 1
  }
}
`

/** True once the built program registers `web` itself. */
export function webCommandRegistered(): boolean {
  const program = path.join(repoRoot, 'dist/cli/program.js')
  return existsSync(program) && readFileSync(program, 'utf8').includes('registerWebCommand')
}

/** Spawns `imgpipe <args>` where args start with `web`. */
export function spawnWeb(args: readonly string[], env: Record<string, string>): ChildProcess {
  if (webCommandRegistered()) return spawnCli(args, env)
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` (npm test does it)`)
  return spawn(process.execPath, ['--input-type=module', '-e', LAUNCHER, '--', ...args], {
    env,
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
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
      (result) => reject(new Error(`imgpipe web exited (${result.code}) before printing its URL\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`)),
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
