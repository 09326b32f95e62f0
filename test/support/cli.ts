/**
 * Runs the built CLI (`dist/cli/main.js`, built by `npm test` before vitest starts) as a child process,
 * exactly as a user would, with a controlled environment.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
/** Compiled into .bench-build/test/support by `npm run chaos`, the repository is one level further up. */
export const repoRoot = path.resolve(here, path.basename(path.resolve(here, '../..')) === '.bench-build' ? '../../..' : '../..')
export const cliPath = path.join(repoRoot, 'dist/cli/main.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** The parent's env minus every IMGPIPE_* setting, so a developer's shell cannot leak into a test. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('IMGPIPE_')) env[key] = value
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) env[key] = value
  }
  return env
}

export function spawnCli(args: readonly string[], env: Record<string, string>, cwd = repoRoot): ChildProcess {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` (npm test does it)`)
  return spawn(process.execPath, [cliPath, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
}

export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawnCli(args, env, options.cwd)
  return collect(child, options.timeoutMs ?? 120_000)
}

export function collect(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`imgpipe did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}
