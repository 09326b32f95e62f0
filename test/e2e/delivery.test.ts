import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { deleteKafkaNames, kafkaTestBrokers } from '../support/bus-backends.js'
import { uniqueName } from '../support/integration.js'
import { freshDatabaseUrl, type FreshDatabase } from '../support/catalog-backends.js'
import { cleanEnv, collect, runCli, spawnCli } from '../support/cli.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

let database: FreshDatabase
let objects: string
let receiver: WebhookReceiver
let env: Record<string, string>

beforeEach(async () => {
  database = (await freshDatabaseUrl('sqlite'))!
  objects = await mkdtemp(path.join(tmpdir(), 'imgpipe-objects-'))
  receiver = await WebhookReceiver.start(null)
  env = cleanEnv({
    IMGPIPE_DATABASE_URL: database.url,
    IMGPIPE_OBJECT_STORE_URL: `file:${objects}`,
    IMGPIPE_DELIVERY_ALLOW_PRIVATE: 'true',
    IMGPIPE_DELIVERY_TIMEOUT_MS: '2000',
    IMGPIPE_DELIVERY_BACKOFF_MS: '100',
    IMGPIPE_DELIVERY_POLL_MS: '100',
    IMGPIPE_PUBLIC_URL: 'https://viewer.example.org/imgpipe/',
  })
})

afterEach(async () => {
  await receiver.close()
  await database.cleanup()
  await rm(objects, { recursive: true, force: true })
})

async function cli(args: string[], extra: Record<string, string> = {}): Promise<string> {
  const result = await runCli(args, { ...env, ...extra })
  expect(result.code, `${args.join(' ')}: ${result.stderr.slice(-1500)}`).toBe(0)
  return result.stdout
}

describe('imgpipe delivery end to end (CLI processes, real HTTP receiver)', () => {
  it(
    'adds a webhook in three commands; run delivers each alert signed, with links; secrets stay masked',
    { timeout: 120_000 },
    async () => {
      await cli(['subscriber', 'add', 'ada', '--contact', 'ada@example.org'])
      const added = JSON.parse(
        await cli(['subscription', 'add', 'hook', '--subscriber', 'ada', '--channel', 'webhook', '--target', receiver.url(), '--json']),
      ) as {
        secret: string
      }
      expect(added.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/)
      const listed = await cli(['subscription', 'list', '--json'])
      expect(listed).not.toContain(added.secret)
      expect((JSON.parse(listed) as Array<{ secret: string }>)[0]!.secret).toMatch(/^whsec_\*\*\*\*.{4}$/)
      await receiver.close()
      receiver = await WebhookReceiver.start(added.secret)
      await cli(['subscription', 'remove', 'hook', '--yes'])
      await cli([
        'subscription',
        'add',
        'hook',
        '--subscriber',
        'ada',
        '--channel',
        'webhook',
        '--target',
        receiver.url(),
        '--secret',
        'env:HOOK_SECRET',
      ])
      await cli([
        'subscription',
        'add',
        'only-big',
        '--subscriber',
        'ada',
        '--channel',
        'webhook',
        '--target',
        receiver.url('/big'),
        '--min-changed',
        '0.99',
      ])

      await cli(['run', '--count', '8'], { HOOK_SECRET: added.secret })
      const hooks = receiver.delivered('/hook')
      expect(hooks).toHaveLength(2)
      expect(hooks.every((hook) => hook.signatureValid)).toBe(true)
      expect(receiver.hooks.filter((hook) => hook.path === '/big')).toEqual([])
      const data = (hooks[0]!.json as { data: { alerts: Array<{ alertNum: number; links: Record<string, string> }> } }).data
      expect(data.alerts[0]!.links.alertPage).toBe(`https://viewer.example.org/imgpipe/?alert_num=${data.alerts[0]!.alertNum}`)

      const deliveries = JSON.parse(await cli(['deliveries', 'list', '--json'])) as Array<{ status: string; deliveryId: string }>
      expect(deliveries.map((row) => row.status)).toEqual(['delivered', 'delivered'])
      expect(deliveries.map((row) => row.deliveryId).sort()).toEqual(hooks.map((hook) => hook.headers['webhook-id']).sort())
      const replayed = JSON.parse(await cli(['replay', '--since', '1h', '--subscription', 'hook', '--json'])) as { replayed: number }
      expect(replayed.replayed).toBe(2)
      await cli(['deliver', '--once'], { HOOK_SECRET: added.secret })
      expect(receiver.delivered('/hook')).toHaveLength(4)
      expect(new Set(receiver.delivered('/hook').map((hook) => hook.headers['webhook-id'])).size).toBe(2)
    },
  )

  it('refuses private targets unless allowed, and non-http(s) schemes, with exit code 2', async () => {
    await cli(['subscriber', 'add', 'bob'])
    const strict = await runCli(['subscription', 'add', 'x', '--subscriber', 'bob', '--channel', 'webhook', '--target', receiver.url()], {
      ...env,
      IMGPIPE_DELIVERY_ALLOW_PRIVATE: 'false',
    })
    expect([strict.code, strict.stderr]).toEqual([2, expect.stringContaining('private or loopback')])
    const scheme = await runCli(
      ['subscription', 'add', 'y', '--subscriber', 'bob', '--channel', 'slack', '--target', 'file:///etc/passwd'],
      env,
    )
    expect(scheme.code).toBe(2)
  })

  it(
    'SIGKILL of the alert process mid-delivery, restart: every receiver delivered, each delivery id seen at least once',
    { timeout: 180_000 },
    async () => {
      await cli(['subscriber', 'add', 'ada'])
      for (const name of ['a', 'b', 'c']) {
        await cli([
          'subscription',
          'add',
          name,
          '--subscriber',
          'ada',
          '--channel',
          'webhook',
          '--target',
          receiver.url(`/${name}`),
          '--secret',
          'whsec_c2VjcmV0',
        ])
      }
      receiver.behaviour = () => ({ status: 204, delayMs: 150 })
      const args = ['run', '--count', '40', '--change-every', '2']
      const first = spawnCli(args, env)
      const killed = collect(first, 120_000)
      const deadline = Date.now() + 60_000
      while (receiver.hooks.length < 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      first.kill('SIGKILL')
      expect((await killed).signal).toBe('SIGKILL')
      const seenBeforeRestart = receiver.hooks.length
      expect(seenBeforeRestart).toBeGreaterThanOrEqual(10)

      // Restart: the run finishes the pipeline; the worker alone then sends whatever is left (leases expire).
      await cli(args)
      await cli(['deliver', '--once', '--max-wait', '60000'])
      const rows = JSON.parse(await cli(['deliveries', 'list', '--limit', '1000', '--json'])) as Array<{
        status: string
        deliveryId: string
      }>
      const { counts } = JSON.parse(await cli(['db', 'counts', '--json'])) as { counts: { alerts: number } }
      const alerts = counts.alerts
      // Images 3, 5, ..., 39 are events (image 1 has no predecessor): 19 alerts, 3 subscriptions each.
      expect(alerts).toBe(19)
      expect(rows).toHaveLength(alerts * 3)
      expect(rows.every((row) => row.status === 'delivered')).toBe(true)
      const seen = receiver.hooks.map((hook) => hook.headers['webhook-id'] as string)
      for (const row of rows) expect(seen).toContain(row.deliveryId)
      expect(new Set(seen).size).toBe(rows.length)
      expect(receiver.hooks.every((hook) => hook.signatureValid)).toBe(true)
    },
  )
})

const kafkaBrokers = kafkaTestBrokers()

describe.runIf(kafkaBrokers !== null)('imgpipe delivery to a Kafka alert topic (CLI on Kafka, read back with kcat)', () => {
  it('a kafka-topic subscription gets one schema-shaped message per alert, keyed by stream', { timeout: 180_000 }, async () => {
    const prefix = uniqueName('imgpipe-e2e-alerts-')
    const topic = `${prefix}.big`
    const kafka = {
      IMGPIPE_BROKER_URL: `kafka://${kafkaBrokers!.join(',')}`,
      IMGPIPE_TOPIC_PREFIX: `${prefix}.`,
      IMGPIPE_TOPIC_PARTITIONS: '1',
    }
    try {
      await cli(['subscriber', 'add', 'ada'], kafka)
      await cli(
        ['subscription', 'add', 'stream', '--subscriber', 'ada', '--channel', 'kafka-topic', '--target', topic, '--stream', 'default'],
        kafka,
      )
      await cli(['run', '--count', '8'], kafka)
      const { stdout } = await promisify(execFile)(
        'kcat',
        ['-C', '-b', kafkaBrokers!.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\n'],
        {
          timeout: 60_000,
        },
      )
      const messages = stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [key, value] = line.split('\t')
          return {
            key,
            value: JSON.parse(value!) as { schema: string; deliveryId: string; alerts: Array<{ alertNum: number; stream: string }> },
          }
        })
      expect(messages.map((message) => message.key)).toEqual(['default', 'default'])
      expect(messages.map((message) => message.value.alerts[0]!.alertNum).sort()).toEqual([1, 2])
      expect(messages.every((message) => message.value.schema === 'imgpipe.alert/1')).toBe(true)
      const rows = JSON.parse(await cli(['deliveries', 'list', '--json'], kafka)) as Array<{ status: string; deliveryId: string }>
      expect(rows.map((row) => row.status)).toEqual(['delivered', 'delivered'])
      expect(messages.map((message) => message.value.deliveryId).sort()).toEqual(rows.map((row) => row.deliveryId).sort())
    } finally {
      await deleteKafkaNames(kafkaBrokers!, prefix)
    }
  })
})
