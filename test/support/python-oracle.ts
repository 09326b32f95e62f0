/**
 * Debian's Python packages as test oracles (astropy, fitsverify's neighbours, avro, confluent-kafka): a test
 * hands a script JSON on stdin and reads JSON from stdout. Never a runtime dependency of imgpipe.
 *
 * Debian's interpreter (/usr/bin/python3) is called, not whatever `python3` is first on the PATH: another one
 * (pyenv's, say) lacks Debian's packages. Without the package a suite is skipped with the reason printed;
 * under CI=true it fails (scripts/services.sh installs the oracles).
 */
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { inCi } from './integration.js'

export const DEBIAN_PYTHON = '/usr/bin/python3'

const run = promisify(execFile)
const available = new Map<string, boolean>()

/** Whether Debian's Python can import `module`; false (with a printed skip reason) unless CI, where it throws. */
export function hasPythonModule(module: string, debianPackage: string): boolean {
  let found = available.get(module)
  if (found === undefined) {
    try {
      execFileSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' })
      found = true
    } catch {
      found = false
    }
    available.set(module, found)
  }
  if (found) return true
  const reason = `${module} is not importable by ${DEBIAN_PYTHON}: install Debian's ${debianPackage} (scripts/services.sh oracles)`
  if (inCi) throw new Error(`CI=true but ${reason}`)
  console.warn(`suite skipped: ${reason}`)
  return false
}

/** Runs a Python script with `input` as JSON on stdin; returns its stdout parsed as JSON. */
export async function pythonJson<T>(script: string, input: unknown = null): Promise<T> {
  const child = run(DEBIAN_PYTHON, ['-c', script], { maxBuffer: 256 * 1024 * 1024 })
  child.child.stdin?.end(JSON.stringify(input))
  const { stdout } = await child
  return JSON.parse(stdout) as T
}

/** Runs a command-line oracle (fitsverify, fpack...) and returns its exit code and output, never throwing on a non-zero exit. */
export async function runTool(command: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(command, [...args], { maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, output: stdout + stderr }
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string }
    if (typeof failed.code !== 'number') throw error
    return { code: failed.code, output: (failed.stdout ?? '') + (failed.stderr ?? '') }
  }
}
