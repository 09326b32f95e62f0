/**
 * Runs `imgpipe view` as a user would: the built CLI in a child process. Until src/cli/program.ts
 * registers the command, through a shim that adds it to the built program (see view-cli-shim.mjs).
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cliPath, collect, repoRoot, type CliResult } from '../../../support/cli.js'

const shimPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'view-cli-shim.mjs')

/** The script to run with node for `imgpipe view`: dist/cli/main.js once it knows the command. */
export function viewCliEntry(): string {
  const program = path.join(repoRoot, 'dist/cli/program.js')
  if (!existsSync(program)) throw new Error(`${program} is missing: run \`npm run build\` (npm test does it)`)
  return readFileSync(program, 'utf8').includes('registerViewCommand') ? cliPath : shimPath
}

export function runViewCli(args: readonly string[], env: Record<string, string>, timeoutMs = 120_000): Promise<CliResult> {
  const child = spawn(process.execPath, [viewCliEntry(), ...args], { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  return collect(child, timeoutMs)
}
