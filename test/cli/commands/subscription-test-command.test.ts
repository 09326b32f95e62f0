import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freshDatabaseUrl, type FreshDatabase } from '../../support/catalog-backends.js'
import { cleanEnv, runCli } from '../../support/cli.js'
import { WebhookReceiver } from '../../support/webhook-receiver.js'

let database: FreshDatabase
let objects: string
let receiver: WebhookReceiver
let smtp: SMTPServer
let mails: ParsedMail[]
let env: Record<string, string>

beforeEach(async () => {
  database = (await freshDatabaseUrl('sqlite'))!
  objects = await mkdtemp(path.join(tmpdir(), 'imgpipe-objects-'))
  receiver = await WebhookReceiver.start(null)
  mails = []
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData: (stream, _session, callback) => {
      simpleParser(stream)
        .then((parsed) => mails.push(parsed))
        .then(() => callback(), callback)
    },
    logger: false,
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()))
  env = cleanEnv({
    IMGPIPE_DATABASE_URL: database.url,
    IMGPIPE_OBJECT_STORE_URL: `file:${objects}`,
    IMGPIPE_DELIVERY_ALLOW_PRIVATE: 'true',
    IMGPIPE_DELIVERY_TIMEOUT_MS: '5000',
    IMGPIPE_SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    IMGPIPE_TIME_ZONE: 'America/New_York',
  })
})

afterEach(async () => {
  await receiver.close()
  await new Promise<void>((resolve) => smtp.close(() => resolve()))
  await database.cleanup()
  await rm(objects, { recursive: true, force: true })
})

async function cli(args: string[]): Promise<string> {
  const result = await runCli(args, env)
  expect(result.code, `${args.join(' ')}: ${result.stderr.slice(-1500)}`).toBe(0)
  return result.stdout
}

describe('imgpipe subscription test', () => {
  it('marks its message as a test on every channel: webhook data, Slack text, e-mail subject and body', { timeout: 120_000 }, async () => {
    await cli(['subscriber', 'add', 'ada'])
    const add = (name: string, channel: string, target: string): Promise<string> =>
      cli(['subscription', 'add', name, '--subscriber', 'ada', '--channel', channel, '--target', target])
    await add('hook', 'webhook', receiver.url('/hook'))
    await add('chat', 'slack', receiver.url('/services/T0/B0/x'))
    await add('mail', 'smtp', 'ada@example.org')

    const hook = JSON.parse(await cli(['subscription', 'test', 'hook', '--json'])) as { ok: boolean; deliveryId: string }
    expect(hook.ok).toBe(true)
    expect(await cli(['subscription', 'test', 'chat'])).toMatch(/^test message delivered \(test-[0-9a-f-]+\): 204/)
    await cli(['subscription', 'test', 'mail'])

    const data = (receiver.delivered('/hook')[0]!.json as { data: { test?: boolean; deliveryId: string; alerts: unknown[] } }).data
    expect(data).toMatchObject({ test: true, deliveryId: hook.deliveryId })
    expect(data.alerts).toHaveLength(1)
    const slack = receiver.delivered('/services/T0/B0/x')[0]!.json as { text: string }
    expect(slack.text.split('\n')[0]).toBe('*TEST MESSAGE* from `imgpipe subscription test`: a sample alert, nothing new was detected.')

    expect(mails).toHaveLength(1)
    const [mail] = mails
    expect(mail!.subject).toMatch(/^\[imgpipe\] TEST: Alert 0: changed on stream sample, image 0 \(50\.0% changed\)$/)
    expect(mail!.text).toMatch(/^TEST MESSAGE sent by `imgpipe subscription test`/)
    expect(typeof mail!.html === 'string' ? mail!.html : '').toContain('TEST MESSAGE sent by `imgpipe subscription test`')
    // IMGPIPE_TIME_ZONE reaches the mail; without IMGPIPE_PUBLIC_URL it says there is no link.
    expect(mail!.text).toMatch(/ {2}Detected: {7}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d America\/New_York \(UTC-0[45]:00\)\n/)
    expect(mail!.text).toContain('No link to the viewer: IMGPIPE_PUBLIC_URL is not set')
  })
})
