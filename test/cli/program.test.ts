import { afterAll, describe, expect, it, vi } from 'vitest'
import { buildProgram, runCli } from '../../src/cli/program.js'

/** runCli in this process, with stderr captured (commander writes usage errors there). */
async function run(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = ''
  let stdout = ''
  const errors = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true))
  const output = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true))
  try {
    return { code: await runCli(['node', 'imgpipe', ...args]), stderr, stdout }
  } finally {
    errors.mockRestore()
    output.mockRestore()
  }
}

// cliContext installs SIGINT/SIGTERM handlers for graceful stops; this worker must stay killable by vitest.
afterAll(() => {
  process.removeAllListeners('SIGINT')
  process.removeAllListeners('SIGTERM')
})

describe('imgpipe program', () => {
  it('registers every command of the three issues', () => {
    const names = buildProgram().commands.map((command) => command.name())
    expect(names).toEqual([
      'run',
      'receive',
      'analyze',
      'alert',
      'ingest',
      'reanalyze',
      'view',
      'web',
      'db',
      'store',
      'status',
      'subscriber',
      'subscription',
      'deliveries',
      'replay',
      'deliver',
      'watchlist',
    ])
  })

  it('maps outcomes to exit codes: help 0, usage 2, configuration 2', async () => {
    expect((await run(['--help'])).code).toBe(0)
    const unknown = await run(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command 'frobnicate'")
    const badFlag = await run(['view', 'abc', '--once'])
    expect(badFlag.code).toBe(2)
    const badConfig = await run(['status', '--broker-url', 'carrier-pigeon://x'])
    expect(badConfig.code).toBe(2)
    expect(badConfig.stderr).toMatch(/^imgpipe: IMGPIPE_BROKER_URL=.* is invalid: .* \[IMGPIPE_CONFIG_INVALID\]\n$/)
  })
})
