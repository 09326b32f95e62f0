import { Command } from 'commander'
import { afterAll, describe, expect, it } from 'vitest'
import { cliContext, nonNegativeInteger, positiveInteger } from '../../src/cli/cli-context.js'
import { addSettingOptions } from '../../src/cli/setting-options.js'

// cliContext installs SIGINT/SIGTERM handlers for graceful stops; this worker must stay killable by vitest.
afterAll(() => {
  process.removeAllListeners('SIGINT')
  process.removeAllListeners('SIGTERM')
})

describe('cli context', () => {
  it('parses counts strictly', () => {
    expect(positiveInteger('12')).toBe(12)
    for (const bad of ['0', '-1', '1.5', 'abc', '', '1e3', '99999999999999999999'])
      expect(() => positiveInteger(bad)).toThrow('positive integer')
    expect(nonNegativeInteger('0')).toBe(0)
    expect(() => nonNegativeInteger('-3')).toThrow('integer >= 0')
  })

  it('lets flags override the environment, validated once', async () => {
    const program = new Command('imgpipe').exitOverride()
    let seen: ReturnType<typeof cliContext> | undefined
    const probe = program.command('probe').action((_options: unknown, command: Command) => {
      seen = cliContext(command)
    })
    addSettingOptions(probe, ['storage', 'broker', 'log'])
    await program.parseAsync(['node', 'imgpipe', 'probe', '--database-url', 'sqlite::memory:', '--partitions', '7'])
    expect(seen?.config.database).toEqual({ kind: 'sqlite', path: ':memory:' })
    expect(seen?.config.topicPartitions).toBe(7)
    // No level set anywhere: a command a person runs logs warnings only.
    if (process.env['IMGPIPE_LOG_LEVEL'] === undefined) expect(seen?.config.logLevel).toBe('warn')
    expect(seen?.stop.aborted).toBe(false)
  })
})
