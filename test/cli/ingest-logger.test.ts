import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../src/analysis/teddy-bear.js'
import { isRejectionLine } from '../../src/cli/ingest-logger.js'
import { cleanEnv, cliPath, runCli } from '../support/cli.js'

const run = promisify(execFile)

describe('isRejectionLine', () => {
  it("is the receive stage's warning for a failed image, and nothing else", () => {
    const fields = { stream: 's', imageNum: 2, code: 'IMGPIPE_IMAGE_INVALID' }
    expect(isRejectionLine([fields, 'receive: truncated or corrupt JPEG image'], 40)).toBe(true)
    expect(isRejectionLine([fields, 'receive: truncated or corrupt JPEG image'], 30)).toBe(false)
    expect(isRejectionLine([{ attempt: 2 }, 'object put failed, retrying'], 40)).toBe(false)
    expect(isRejectionLine(['receive: a bare message'], 40)).toBe(false)
  })
})

/** Lines that are pino JSON log lines (a terminal adds carriage returns). */
function jsonLogLines(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.includes('{"level":'))
}

// `script` runs the command with a pseudo-terminal as its stdout and stderr, as a person's shell would.
describe.skipIf(!existsSync('/usr/bin/script'))('imgpipe ingest output per rejected file', () => {
  let dir: string
  let input: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-ingest-tty-'))
    input = path.join(dir, 'input')
    await mkdir(input)
    const teddy = await renderTeddyBear(64)
    await writeFile(path.join(input, 'a-teddy.jpg'), teddy)
    await writeFile(path.join(input, 'b-truncated.jpg'), teddy.subarray(0, 300))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const env = (name: string): Record<string, string> =>
    cleanEnv({
      IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, `${name}.db`)}`,
      IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, `${name}-objects`)}`,
    })

  async function onTerminal(args: readonly string[], name: string): Promise<string> {
    const command = [process.execPath, cliPath, ...args].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ')
    // -e: the command's exit code; ingest exits 3 for the damaged file.
    const result = await run('/usr/bin/script', ['-qec', command, '/dev/null'], { env: env(name) }).catch(
      (error: { code: number; stdout: string }) => {
        expect(error.code).toBe(3)
        return { stdout: error.stdout }
      },
    )
    return result.stdout
  }

  it('on a terminal at the default level: one readable line, no JSON log line', async () => {
    const output = await onTerminal(['ingest', input, '--stream', 'tty'], 'tty')
    expect(output.split('\n').filter((line) => line.includes('b-truncated.jpg'))).toHaveLength(1)
    expect(output).toContain('imgpipe: rejected b-truncated.jpg: truncated or corrupt JPEG')
    expect(jsonLogLines(output)).toEqual([])
  })

  it('on a terminal with --log-level info: the JSON log line too', async () => {
    const output = await onTerminal(['ingest', input, '--stream', 'tty-info', '--log-level', 'info'], 'tty-info')
    expect(output).toContain('imgpipe: rejected b-truncated.jpg')
    expect(jsonLogLines(output).filter((line) => line.includes('"level":40') && line.includes('receive: truncated'))).toHaveLength(1)
  })

  it('when stderr is not a terminal: the JSON log line for programs, and the readable line', async () => {
    const result = await runCli(['ingest', input, '--stream', 'pipe'], env('pipe'))
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('imgpipe: rejected b-truncated.jpg')
    expect(jsonLogLines(result.stderr).filter((line) => line.includes('receive: truncated'))).toHaveLength(1)
  })
})
