import type { Command } from 'commander'
import { afterAll, describe, expect, it } from 'vitest'
import { buildProgram } from '../../src/cli/program.js'
import { cleanEnv, runCli } from '../support/cli.js'

// Building the program registers no signal handler, but a test below may run a command that does.
afterAll(() => {
  process.removeAllListeners('SIGINT')
  process.removeAllListeners('SIGTERM')
})

const SCREEN = { lines: 25, columns: 80 }

/**
 * Commands whose own options (the mock stream's dozen, view's picture options, a subscription's filter) leave
 * no room in 25 lines: their settings still take one line per group (17 lines at most, wrapped groups included;
 * 16 before difference imaging's Science group).
 */
const OWN_OPTIONS_TAKE_THE_SCREEN = new Set(['run', 'receive', 'ingest', 'view', 'subscription add'])

/** Every command of the program but the implicit `help`, by path (`db counts`). */
function everyCommand(command: Command, prefix = ''): { path: string; command: Command }[] {
  return command.commands.flatMap((sub) => {
    const path = `${prefix}${sub.name()}`
    return [{ path, command: sub }, ...everyCommand(sub, `${path} `)]
  })
}

/** The help as `imgpipe <path> --help` prints it on an 80-column terminal, as lines. */
function helpLines(command: Command): string[] {
  command.configureOutput({ getOutHelpWidth: () => SCREEN.columns })
  return command.helpInformation().replace(/\n$/, '').split('\n')
}

describe('imgpipe <command> --help', () => {
  it('fits 25 lines of 80 columns for every command, but the few whose own options take the screen', async () => {
    // `imgpipe settings` is the full table of settings by design (`imgpipe help settings`).
    const commands = everyCommand(await buildProgram()).filter(({ path }) => path !== 'settings')
    expect(commands.length).toBeGreaterThan(30)
    const tooLong = commands
      .map(({ path, command }) => ({ path, lines: helpLines(command) }))
      .map(({ path, lines }) => {
        const settings = lines.findIndex((line) => line.startsWith('Settings:'))
        return { path, lines: OWN_OPTIONS_TAKE_THE_SCREEN.has(path) ? lines.slice(settings) : lines }
      })
      .filter(({ path, lines }) => lines.length > (OWN_OPTIONS_TAKE_THE_SCREEN.has(path) ? 17 : SCREEN.lines))
      .map(({ path, lines }) => `${path}: ${lines.length} lines`)
    expect(tooLong).toEqual([])
    const wide = commands.flatMap(({ path, command }) =>
      helpLines(command)
        .filter((line) => line.length > SCREEN.columns)
        .map((line) => `${path}: ${line}`),
    )
    expect(wide).toEqual([])
  })

  it('imgpipe --help names each command with a summary, most on one line (it was 64 lines)', async () => {
    const lines = helpLines(await buildProgram())
    // 35 before difference imaging's two commands (reference, report).
    expect(lines.length).toBeLessThanOrEqual(37)
    expect(lines).toContain('  db                           the catalog: create, reset, empty, show, counts')
    expect(lines).toContain('  settings                     every setting: flag, variable, default, meaning')
  })

  it('imgpipe db --help and imgpipe analyze --help, from the built CLI, fit in 25 lines', async () => {
    for (const args of [
      ['db', '--help'],
      ['analyze', '--help'],
    ]) {
      const result = await runCli(args, cleanEnv({ COLUMNS: '80' }))
      expect(result.code).toBe(0)
      expect(result.stderr).toBe('')
      const lines = result.stdout.replace(/\n$/, '').split('\n')
      expect(lines.length).toBeLessThanOrEqual(SCREEN.lines)
      expect(lines[0]).toBe(`Usage: imgpipe ${args[0]} [options]${args[0] === 'db' ? ' [command]' : ''}`)
    }
  })

  it('lists only the settings a command reads, one line per group under its heading', async () => {
    const program = await buildProgram()
    const help = (path: string): string => {
      const found = everyCommand(program).find((entry) => entry.path === path)
      if (found === undefined) throw new Error(`no command ${path}`)
      return helpLines(found.command).join('\n')
    }
    const counts = help('db counts')
    expect(counts).toMatch(/^ {2}Storage: +--database-url --database-password$/m)
    expect(counts).toMatch(/^ {2}Logging: +--log-level$/m)
    for (const unread of ['--object-store-url', '--broker-url', '--smtp-url', '--web-port', '--event-threshold']) {
      expect(counts).not.toContain(unread)
    }

    const analyze = help('analyze')
    expect(analyze).toMatch(/^ {2}Analysis: +--event-threshold --pixel-tolerance --reference-frames$/m)
    expect(analyze).toMatch(/^ {2}Science: +--fakes-per-image --detection-snr --real-bogus-min$/m)
    expect(analyze).toMatch(/^ {2}Consumer: +--consumer-batch-size --consumer-concurrency$/m)
    expect(analyze).not.toContain('--web-port')
    expect(analyze).not.toContain('--receive-batch-size')

    const web = help('web')
    expect(web).toContain('--web-allowed-hosts')
    expect(web).not.toContain('--event-threshold')
    expect(web).not.toContain('--smtp-url')

    // A command that reads no setting has no settings section; a command group lists its commands only.
    expect(help('sky make')).not.toContain('Settings:')
    const db = help('db')
    expect(db).not.toContain('--database-url')
    expect(db).toContain('the catalog database: create, reset, empty, show, counts')
    for (const sub of ['create', 'reset', 'empty', 'show', 'counts']) expect(db).toMatch(new RegExp(`^ {2}${sub} `, 'm'))
  })
})
