/** `imgpipe subscription add --format avro` and `subscription test` on an Avro stream, through the built CLI. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freshDatabaseUrl, type FreshDatabase } from '../support/catalog-backends.js'
import { cleanEnv, runCli } from '../support/cli.js'
import { serviceUrl, TEST_ENV } from '../support/integration.js'

let database: FreshDatabase
let objects: string
let env: Record<string, string>

beforeEach(async () => {
  database = (await freshDatabaseUrl('sqlite'))!
  objects = await mkdtemp(path.join(tmpdir(), 'imgpipe-objects-'))
  env = cleanEnv({ IMGPIPE_DATABASE_URL: database.url, IMGPIPE_OBJECT_STORE_URL: `file:${objects}` })
})

afterEach(async () => {
  await database.cleanup()
  await rm(objects, { recursive: true, force: true })
})

describe('imgpipe subscription add --format', () => {
  it('stores an Avro kafka-topic subscription as avro:<topic> and refuses the option elsewhere', { timeout: 120_000 }, async () => {
    expect((await runCli(['subscriber', 'add', 'broker'], env)).code).toBe(0)
    const added = await runCli(
      [
        'subscription',
        'add',
        'stream',
        '--subscriber',
        'broker',
        '--channel',
        'kafka-topic',
        '--target',
        'alerts.public',
        '--format',
        'avro',
        '--json',
      ],
      env,
    )
    expect(added.code, added.stderr).toBe(0)
    expect(JSON.parse(added.stdout)).toMatchObject({ channel: 'kafka-topic', target: 'avro:alerts.public' })
    const json = await runCli(
      [
        'subscription',
        'add',
        'plain',
        '--subscriber',
        'broker',
        '--channel',
        'kafka-topic',
        '--target',
        'alerts.json',
        '--format',
        'json',
        '--json',
      ],
      env,
    )
    expect(JSON.parse(json.stdout)).toMatchObject({ target: 'alerts.json' })

    const webhook = await runCli(
      [
        'subscription',
        'add',
        'hook',
        '--subscriber',
        'broker',
        '--channel',
        'webhook',
        '--target',
        'https://example.org/h',
        '--format',
        'avro',
      ],
      env,
    )
    expect(webhook.code).not.toBe(0)
    expect(webhook.stderr).toContain('--format is for kafka-topic subscriptions only')
    const unknown = await runCli(
      ['subscription', 'add', 'x', '--subscriber', 'broker', '--channel', 'kafka-topic', '--target', 'alerts.x', '--format', 'xml'],
      env,
    )
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toContain('--format must be one of json, avro')
    const listed = await runCli(['subscription', 'list', '--json'], env)
    expect((JSON.parse(listed.stdout) as { name: string; target: string }[]).map((row) => [row.name, row.target])).toEqual([
      ['stream', 'avro:alerts.public'],
      ['plain', 'alerts.json'],
    ])
  })

  const kafkaUrl = serviceUrl(TEST_ENV.kafkaUrl, 'Kafka')
  const registryUrl = serviceUrl(TEST_ENV.schemaRegistryUrl, 'schema registry')
  it.runIf(kafkaUrl !== null && registryUrl !== null)(
    'subscription test sends nothing to an Avro stream and says why',
    { timeout: 120_000 },
    async () => {
      const withServices = { ...env, IMGPIPE_BROKER_URL: kafkaUrl!, IMGPIPE_SCHEMA_REGISTRY_URL: registryUrl! }
      expect((await runCli(['subscriber', 'add', 'broker'], withServices)).code).toBe(0)
      const topic = `imgpipe-test-avro-cli-${process.pid}`
      const args = [
        'subscription',
        'add',
        'stream',
        '--subscriber',
        'broker',
        '--channel',
        'kafka-topic',
        '--target',
        topic,
        '--format',
        'avro',
      ]
      expect((await runCli(args, withServices)).code).toBe(0)
      const tested = await runCli(['subscription', 'test', 'stream', '--json'], withServices)
      expect(tested.code, tested.stderr).toBe(0)
      expect(JSON.parse(tested.stdout)).toMatchObject({ ok: true, detail: expect.stringContaining(`nothing sent to ${topic}`) })
    },
  )
})
