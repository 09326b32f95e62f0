import { afterAll, describe, expect, it, vi } from 'vitest'
import { buildProgram, commandName, runCli } from '../../src/cli/program.js'
import { cleanEnv, cliPath, collect } from '../support/cli.js'
import { spawn } from 'node:child_process'

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
  it('registers every command of the three issues', async () => {
    const names = (await buildProgram()).commands.map((command) => command.name())
    expect(names).toEqual([
      'run',
      'receive',
      'analyze',
      'alert',
      'ingest',
      'reanalyze',
      'sky',
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
      'alerts',
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

describe('start-up', () => {
  it('finds the command after global options and their values', () => {
    expect(commandName(['node', 'imgpipe', 'db', 'counts'])).toBe('db')
    expect(commandName(['node', 'imgpipe', '--database-url', 'web', 'status', '--json'])).toBe('status')
    expect(commandName(['node', 'imgpipe', '--version'])).toBeUndefined()
    expect(commandName(['node', 'imgpipe', '--', 'web'])).toBeUndefined()
  })

  it("registers only the named command's module, none for --version, all for --help", async () => {
    const names = async (...args: string[]) => (await buildProgram(['node', 'imgpipe', ...args])).commands.map((command) => command.name())
    expect(await names('--log-level', 'info', 'db', 'counts')).toEqual(['db'])
    expect(await names('subscription', 'list')).toEqual(['subscriber', 'subscription'])
    expect(await names('--version')).toEqual([])
    expect(await names('--help')).toHaveLength(19)
    expect(await names('frobnicate')).toHaveLength(19)
  })

  // Each call paid for Fastify, sharp and nodemailer, imported by the web, view and subscription commands: a
  // resolve hook in the CLI's own process names the packages it loads.
  it.each([
    [['--version'], []],
    [['db', 'counts', '--help'], []],
    [
      ['web', '--help'],
      ['fastify', 'sharp'],
    ],
  ])('imgpipe %j loads only the heavy packages it needs: %j', async (args, expected) => {
    const heavy = ['fastify', 'sharp', 'nodemailer', '@aws-sdk/client-s3', '@platformatic/kafka', 'kysely']
    const hook = `export async function resolve(specifier, context, next) {
      if (${JSON.stringify(heavy)}.includes(specifier)) process.stderr.write('LOADED ' + specifier + '\\n')
      return next(specifier, context)
    }`
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)})`
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, cliPath, ...args], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const result = await collect(child, 60_000)
    expect(result.code).toBe(0)
    const loaded = [...new Set(result.stderr.match(/^LOADED \S+$/gm) ?? [])].map((line) => line.slice('LOADED '.length))
    expect(loaded.filter((name) => expected.includes(name))).toEqual(expected)
    expect(loaded.filter((name) => !expected.includes(name))).toEqual([])
  })
})
