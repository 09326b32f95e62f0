import { afterAll, describe, expect, it, vi } from 'vitest'
import { buildProgram, commandName, runCli } from '../../src/cli/program.js'
import { cleanEnv, cliPath, collect, runCli as runBuilt } from '../support/cli.js'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'

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
      'reference',
      'report',
      'alerts',
      'settings',
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
    expect(badConfig.stderr).toMatch(/^imgpipe: --broker-url=.* is invalid: .* \[IMGPIPE_CONFIG_INVALID\]\n$/)
  })

  // Commander wrote `error: …` and `(run with --help for usage)`: two lines, no code, unlike every other error.
  it.each([
    [['ingest'], "imgpipe: missing required argument 'paths' — see imgpipe ingest --help [IMGPIPE_USAGE]"],
    [['frobnicate'], "imgpipe: unknown command 'frobnicate' — see imgpipe --help [IMGPIPE_USAGE]"],
    [['db', 'counts', '--jsn'], "imgpipe: unknown option '--jsn' (Did you mean --json?) — see imgpipe db counts --help [IMGPIPE_USAGE]"],
    [
      ['db', 'show', '--limit', 'abc'],
      "imgpipe: option '--limit <n>' argument 'abc' is invalid: expected a positive integer — see imgpipe db show --help [IMGPIPE_USAGE]",
    ],
    [['db', 'show', '--limit'], "imgpipe: option '--limit <n>' argument missing — see imgpipe db show --help [IMGPIPE_USAGE]"],
    [
      ['db', 'show', '--table', 'nope'],
      "imgpipe: option '--table <name>' argument 'nope' is invalid: one of image_metadata, image_event, image_event_alert — see imgpipe db show --help [IMGPIPE_USAGE]",
    ],
    [['view', '1', '2'], "imgpipe: too many arguments for 'view'. Expected 1 argument but got 2 — see imgpipe view --help [IMGPIPE_USAGE]"],
  ])('imgpipe %j prints one usage line with its code and exits 2', async (args, line) => {
    const result = await run(args)
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(`${line}\n`)
    expect(result.stdout).toBe('')
  })
})

describe('errors of the built CLI', () => {
  it('imgpipe ingest of a missing path says ENOENT once and the path once', async () => {
    const missing = '/nonexistent/imgpipe-missing.jpg'
    const result = await runBuilt(['ingest', missing], cleanEnv(), { cwd: tmpdir() })
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(`imgpipe: cannot read ${missing}: ENOENT: no such file or directory [IMGPIPE_USAGE]\n`)
  })

  it('imgpipe watchlist add of a missing file names the file once', async () => {
    const missing = '/nonexistent/cones.csv'
    const result = await runBuilt(['watchlist', 'add', 'w', '--file', missing], cleanEnv(), { cwd: tmpdir() })
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(`imgpipe: cannot read ${missing}: ENOENT: no such file or directory [IMGPIPE_USAGE]\n`)
  })

  it('imgpipe status names an unreachable database URL once in its report and once in its error', async () => {
    const url = 'postgres://imgpipe@127.0.0.1:1/nowhere'
    const result = await runBuilt(['status', '--database-url', url, '--timeout', '3000'], cleanEnv(), { cwd: tmpdir() })
    expect(result.code).toBe(1)
    const database = result.stdout.split('\n').find((line) => line.startsWith('database'))
    expect(database).toMatch(/^database +DOWN +postgres:\/\/imgpipe@127\.0\.0\.1:1\/nowhere — /)
    expect(database?.split(url)).toHaveLength(2)
    const reasons = result.stderr.split('\n').filter((line) => line.startsWith('imgpipe:'))
    expect(reasons).toHaveLength(1)
    expect(reasons[0]).toMatch(/^imgpipe: database postgres:\S+ is not available: .*\[IMGPIPE_CATALOG_UNAVAILABLE\]$/)
    expect(reasons[0]?.split(url)).toHaveLength(2)
  })
})

describe('start-up', () => {
  it('finds the command: the first argument that is not an option', () => {
    expect(commandName(['node', 'imgpipe', 'db', 'counts'])).toBe('db')
    expect(commandName(['node', 'imgpipe', 'status', '--database-url', 'web', '--json'])).toBe('status')
    expect(commandName(['node', 'imgpipe', '--version'])).toBeUndefined()
    expect(commandName(['node', 'imgpipe', '--', 'web'])).toBeUndefined()
  })

  it("registers only the named command's module, none for --version, all for --help", async () => {
    const names = async (...args: string[]) => (await buildProgram(['node', 'imgpipe', ...args])).commands.map((command) => command.name())
    expect(await names('db', 'counts', '--log-level', 'info')).toEqual(['db'])
    expect(await names('subscription', 'list')).toEqual(['subscriber', 'subscription'])
    expect(await names('settings')).toEqual(['settings'])
    expect(await names('--version')).toEqual([])
    expect(await names('--help')).toHaveLength(22)
    expect(await names('frobnicate')).toHaveLength(22)
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
