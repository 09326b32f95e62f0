import type { Command } from 'commander'
import { afterAll, describe, expect, it } from 'vitest'
import { cliContext } from '../../src/cli/cli-context.js'
import { buildProgram } from '../../src/cli/program.js'
import { settingOverrides } from '../../src/cli/setting-options.js'
import { flagName, SETTING_NAMES, SETTINGS } from '../../src/config/settings.js'

afterAll(() => {
  process.removeAllListeners('SIGINT')
  process.removeAllListeners('SIGTERM')
})

async function helpOf(name: string): Promise<string> {
  const command = (await buildProgram()).commands.find((candidate) => candidate.name() === name)
  if (command === undefined) throw new Error(`no command ${name}`)
  return command.helpInformation()
}

describe('setting flags', () => {
  it('imgpipe run --help lists a flag for every variable, with the variable it overrides', async () => {
    const help = (await helpOf('run')).replace(/\s+/g, ' ')
    for (const name of SETTING_NAMES) {
      const { env, arg } = SETTINGS[name]
      expect(help).toContain(`--${flagName(env)} <${arg}>`)
      expect(help).toContain(`env: ${env}`)
    }
    // The former name still works (see cli-context.test.ts) but is not offered.
    expect(help).not.toMatch(/ --partitions\b/)
  })

  it('shows no value of a secret in --help, even when its variable is set', async () => {
    process.env['IMGPIPE_DATABASE_PASSWORD'] = 'S3cr3t-in-env'
    try {
      expect(await helpOf('status')).not.toContain('S3cr3t-in-env')
    } finally {
      delete process.env['IMGPIPE_DATABASE_PASSWORD']
    }
  })

  it('passes every setting flag, and only those given, to loadConfig', async () => {
    const program = await buildProgram()
    let overrides: ReturnType<typeof settingOverrides> | undefined
    let context: ReturnType<typeof cliContext> | undefined
    program.command('probe').action((_options: unknown, command: Command) => {
      overrides = settingOverrides(command.optsWithGlobals())
      context = cliContext(command)
    })
    await program.parseAsync([
      'node',
      'imgpipe',
      'probe',
      '--database-url',
      'sqlite::memory:',
      '--topic-partitions',
      '9',
      '--partitions',
      '5',
      '--kafka-sasl-username',
      'app',
      '--max-image-bytes',
      '2048',
    ])
    expect(overrides).toEqual({ databaseUrl: 'sqlite::memory:', topicPartitions: '9', kafkaSaslUsername: 'app', maxImageBytes: '2048' })
    expect(context?.config.topicPartitions).toBe(9)
    expect(context?.config.analysis.maxImageBytes).toBe(2048)
  })
})
