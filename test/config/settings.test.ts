import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { KAFKA_SECURITY_VARIABLES } from '../../src/adapters/kafka/kafka-options.js'
import { ENV, flagName, SETTING_NAMES, SETTINGS } from '../../src/config/settings.js'
import { loadConfig } from '../../src/config/load-config.js'
import { defaultMarkdown } from '../../src/config/settings-docs.js'
import type { Setting } from '../../src/config/setting.js'
import { ConfigError } from '../../src/core/errors.js'
import { repoRoot } from '../support/cli.js'

const CWD = path.resolve('/srv/imgpipe-settings-cwd')
const SECRET = ' S3cr3t pa55 '

/** The README's Configuration table, one row per setting, as the settings table gives it. */
function settingsMarkdownTable(): string {
  const rows = SETTING_NAMES.map((name) => {
    const setting: Setting<unknown> = SETTINGS[name]
    return `| \`${setting.env}\` | \`--${flagName(setting.env)}\` | ${defaultMarkdown(setting)} | ${setting.help} |`
  })
  return ['| Variable | Flag | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

/** The table under the README's "## Configuration" heading: from its header row to the first line that is not a row. */
function readmeConfigurationTable(): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8').split('\n')
  const heading = readme.indexOf('## Configuration')
  expect(heading).toBeGreaterThanOrEqual(0)
  const start = readme.findIndex((line, index) => index > heading && line.startsWith('|'))
  const end = readme.findIndex((line, index) => index > start && !line.startsWith('|'))
  return readme.slice(start, end).join('\n')
}

describe('the settings table', () => {
  it("is the README's Configuration table (paste the expected text there when adding a setting)", () => {
    expect(readmeConfigurationTable()).toBe(settingsMarkdownTable())
  })

  it('names every variable IMGPIPE_*, with a flag named after it, all distinct', () => {
    const variables = SETTING_NAMES.map((name) => SETTINGS[name].env)
    expect(new Set(variables).size).toBe(variables.length)
    for (const variable of variables) expect(variable).toMatch(/^IMGPIPE_[A-Z0-9_]+$/)
    expect(flagName('IMGPIPE_TOPIC_PARTITIONS')).toBe('topic-partitions')
    expect(flagName('IMGPIPE_KAFKA_SASL_PASSWORD')).toBe('kafka-sasl-password')
    expect(ENV.topicPartitions).toBe('IMGPIPE_TOPIC_PARTITIONS')
  })

  it("takes the Kafka security variables' names from the Kafka adapter, which names them in its hints", () => {
    expect([ENV.kafkaCaFile, ENV.kafkaSaslMechanism, ENV.kafkaSaslUsername, ENV.kafkaSaslPassword]).toEqual(
      Object.values(KAFKA_SECURITY_VARIABLES),
    )
  })

  it('marks exactly the passwords and the web token secret', () => {
    const secrets = SETTING_NAMES.filter((name) => 'secret' in SETTINGS[name])
    expect(secrets).toEqual(['databasePassword', 'kafkaSaslPassword', 'schemaRegistryPassword', 'webToken', 'smtpPassword'])
  })
})

describe('settings given as flags', () => {
  it('reads the Kafka security settings and the database password from flags as from variables', () => {
    const config = loadConfig(
      { IMGPIPE_KAFKA_SASL_USERNAME: 'from-env' },
      {
        databaseUrl: 'postgres://app@db/imgpipe',
        databasePassword: SECRET,
        brokerUrl: 'kafka://h:9094',
        kafkaSaslMechanism: 'scram-sha-512',
        kafkaSaslUsername: 'app',
        kafkaSaslPassword: SECRET,
      },
      CWD,
    )
    expect(config.database).toMatchObject({ kind: 'postgres', password: SECRET })
    expect(config.broker).toMatchObject({ kind: 'kafka', sasl: { mechanism: 'SCRAM-SHA-512', username: 'app', password: SECRET } })
  })

  it('an empty secret flag unsets the secret, like an empty variable', () => {
    const config = loadConfig({ IMGPIPE_DATABASE_PASSWORD: 'from-env' }, { databaseUrl: 'mysql://app@db/x', databasePassword: '' }, CWD)
    expect(config.database).toMatchObject({ password: undefined })
  })

  it('names the variable in errors about a flag, and never echoes a secret flag', () => {
    let caught: unknown
    try {
      loadConfig({}, { brokerUrl: 'kafka://h:1', kafkaSaslMechanism: 'GSSAPI', kafkaSaslUsername: 'app', kafkaSaslPassword: SECRET }, CWD)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as Error).message).toContain('IMGPIPE_KAFKA_SASL_MECHANISM')
    expect((caught as Error).message).not.toContain(SECRET.trim())
  })
})
