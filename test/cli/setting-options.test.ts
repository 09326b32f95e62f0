import type { Command } from 'commander'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { cliContext } from '../../src/cli/cli-context.js'
import { buildProgram, runCli } from '../../src/cli/program.js'
import { addSettingOptions, COMMAND_SETTINGS, SETTING_GROUPS, settingOverrides } from '../../src/cli/setting-options.js'
import { flagName, SETTING_NAMES, SETTINGS } from '../../src/config/settings.js'

afterAll(() => {
  process.removeAllListeners('SIGINT')
  process.removeAllListeners('SIGTERM')
})

/** runCli in this process, with its output captured. */
async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = ''
  let stdout = ''
  const errors = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true))
  const output = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true))
  for (const [name, value] of Object.entries(env)) process.env[name] = value
  try {
    return { code: await runCli(['node', 'imgpipe', ...args]), stderr, stdout }
  } finally {
    for (const name of Object.keys(env)) delete process.env[name]
    errors.mockRestore()
    output.mockRestore()
  }
}

/** The paths of the commands that run something (`db counts`), not the groups (`db`). */
function actionPaths(command: Command, prefix = ''): string[] {
  return command.commands.flatMap((sub) => {
    const path = `${prefix}${sub.name()}`
    return [...(sub.commands.length === 0 ? [path] : []), ...actionPaths(sub, `${path} `)]
  })
}

describe('setting flags', () => {
  it('puts every setting in exactly one group', () => {
    const grouped = Object.values(SETTING_GROUPS).flatMap((group) => [...group.settings])
    expect([...grouped].sort()).toEqual([...SETTING_NAMES].sort())
  })

  it('says which settings every command reads, and no command that does not exist', async () => {
    const paths = actionPaths(await buildProgram())
    expect(paths.filter((path) => COMMAND_SETTINGS[path] === undefined)).toEqual([])
    expect(Object.keys(COMMAND_SETTINGS).filter((path) => !paths.includes(path))).toEqual([])
  })

  it('imgpipe help settings lists every setting with its flag, variable, default and meaning', async () => {
    const { code, stdout, stderr } = await run(['help', 'settings'])
    expect(code).toBe(0)
    expect(stderr).toBe('')
    const text = stdout.replace(/\s+/g, ' ')
    for (const name of SETTING_NAMES) {
      const { env, arg } = SETTINGS[name]
      expect(text).toContain(`--${flagName(env)} <${arg}> ${env}`)
    }
    expect(stdout).toMatch(
      /^ {2}--event-threshold <fraction> {2}IMGPIPE_EVENT_THRESHOLD {2}default: 0\.01\n {6}fraction of changed pixels above which an image is an event$/m,
    )
    for (const group of Object.values(SETTING_GROUPS)) expect(stdout).toMatch(new RegExp(`^${group.heading}:$`, 'm'))
    // The former name still works (see cli-context.test.ts) but is not offered.
    expect(stdout).not.toMatch(/ --partitions\b/)
    expect((await run(['settings'])).stdout).toBe(stdout)
  })

  it('shows no value of a secret in the settings table, even when its variable is set', async () => {
    const { stdout } = await run(['help', 'settings'], { IMGPIPE_DATABASE_PASSWORD: 'S3cr3t-in-env' })
    expect(stdout).toContain('IMGPIPE_DATABASE_PASSWORD')
    expect(stdout).not.toContain('S3cr3t-in-env')
  })

  it('rejects a setting flag the command does not read as a usage error naming the command', async () => {
    const result = await run(['db', 'counts', '--smtp-url', 'smtp://mail.example:587'])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(
      "imgpipe: unknown option '--smtp-url': imgpipe db counts does not read IMGPIPE_SMTP_URL — see imgpipe db counts --help [IMGPIPE_USAGE]\n",
    )
    // Before the command, where every setting flag was once accepted.
    const before = await run(['--database-url', 'sqlite::memory:', 'db', 'counts'])
    expect(before.code).toBe(2)
    expect(before.stderr).toMatch(/^imgpipe: unknown option '--database-url': setting flags go after the command .*\[IMGPIPE_USAGE\]\n$/)
  })

  it('names a bad setting as the user gave it: the flag typed, else the variable', async () => {
    const flag = await run(['analyze', '--event-threshold', 'abc'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toBe('imgpipe: --event-threshold="abc" is invalid: expected a number from 0 to 1 [IMGPIPE_CONFIG_INVALID]\n')

    // A message about two settings names each as it was given.
    const mixed = await run(['analyze', '--broker-url', 'kafka://127.0.0.1:1', '--kafka-sasl-username', 'app'])
    expect(mixed.code).toBe(2)
    expect(mixed.stderr).toMatch(
      /^imgpipe: --kafka-sasl-username is set but IMGPIPE_KAFKA_SASL_MECHANISM is not: .*\[IMGPIPE_CONFIG_INVALID\]\n$/,
    )

    const variable = await run(['analyze'], { IMGPIPE_EVENT_THRESHOLD: 'abc' })
    expect(variable.code).toBe(2)
    expect(variable.stderr).toBe(
      'imgpipe: IMGPIPE_EVENT_THRESHOLD="abc" is invalid: expected a number from 0 to 1 [IMGPIPE_CONFIG_INVALID]\n',
    )
  })

  it('passes every setting flag, and only those given, to loadConfig', async () => {
    const program = await buildProgram()
    let overrides: ReturnType<typeof settingOverrides> | undefined
    let context: ReturnType<typeof cliContext> | undefined
    const probe = program.command('probe').action((_options: unknown, command: Command) => {
      overrides = settingOverrides(command.optsWithGlobals())
      context = cliContext(command)
    })
    addSettingOptions(probe, ['storage', 'broker', 'limits'])
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
