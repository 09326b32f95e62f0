import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { cleanEnv, runCli } from '../../support/cli.js'
import { readRows } from '../../support/sqlite-rows.js'
import { WebhookReceiver } from '../../support/webhook-receiver.js'

let dir: string
let receiver: WebhookReceiver
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-summary-'))
  receiver = await WebhookReceiver.start(null)
})
afterEach(async () => {
  await receiver.close()
  await rm(dir, { recursive: true, force: true })
})

function envFor(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return cleanEnv({
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, `${name}.db`)}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, `${name}-objects`)}`,
    ...extra,
  })
}

/** A webhook subscription to the local receiver: loopback targets need IMGPIPE_DELIVERY_ALLOW_PRIVATE when added. */
async function subscribe(env: Record<string, string>): Promise<void> {
  expect((await runCli(['subscriber', 'add', 'ada'], env)).code).toBe(0)
  const added = await runCli(
    ['subscription', 'add', 'ada-hook', '--subscriber', 'ada', '--channel', 'webhook', '--target', receiver.url()],
    { ...env, IMGPIPE_DELIVERY_ALLOW_PRIVATE: 'true' },
  )
  expect(added.code, added.stderr).toBe(0)
}

interface JsonSummary {
  processed: { alerts: number; events: number }
  deliveries: {
    channels: Record<string, { delivered: number; retrying: number; pending: number; dead: number }>
    subscriptions: { subscription: string; subscriber: string; channel: string; dead: number }[]
    firstDeadError?: string
  } | null
}

describe('pipeline summaries count what happened to deliveries', () => {
  it('reports a delivery that went dead on its first attempt, names it with the remedy, and exits 4', async () => {
    const env = envFor('dead')
    await subscribe(env)
    // Without IMGPIPE_DELIVERY_ALLOW_PRIVATE the loopback target is refused for good: the alert is recorded, not delivered.
    const result = await runCli(['run', '--count', '4'], env)
    expect(result.code, result.stderr).toBe(4)
    expect(receiver.hooks).toEqual([])
    expect(result.stdout).toContain('processed: 4 analysed, 0 failed, 1 events, 1 alerts recorded\n')
    expect(result.stdout).toContain('deliveries: webhook 0 delivered, 0 retrying, 1 dead\n')
    expect(result.stdout).not.toContain('alerts delivered')
    expect(result.stderr).toContain('imgpipe: 1 delivery to webhook subscription ada-hook (subscriber ada) failed for good')
    expect(result.stderr).toMatch(/imgpipe: last error: IMGPIPE_DELIVERY_FAILED: .*private address/)
    expect(result.stderr).toContain('`imgpipe deliveries retry --status dead`')

    const json = await runCli(['run', '--count', '8', '--json'], env)
    expect(json.code).toBe(4)
    const summary = JSON.parse(json.stdout) as JsonSummary
    expect(summary.processed).toMatchObject({ alerts: 1, events: 1 })
    expect(summary.deliveries?.channels).toEqual({ webhook: { delivered: 0, retrying: 0, pending: 0, dead: 1 } })
    expect(summary.deliveries?.subscriptions).toEqual([
      { subscription: 'ada-hook', subscriber: 'ada', channel: 'webhook', delivered: 0, retrying: 0, pending: 0, dead: 1 },
    ])
    expect(summary.deliveries?.firstDeadError).toContain('private address')

    // deliveries list names the subscription and its subscriber (it showed a subscription id).
    const listed = await runCli(['deliveries', 'list'], env)
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toMatch(/ada-hook/)
    expect(listed.stdout).toMatch(/\bada\b/)
    const rows = JSON.parse((await runCli(['deliveries', 'list', '--json'], env)).stdout) as { subscription: string; subscriber: string }[]
    expect(rows.map((row) => [row.subscription, row.subscriber])).toEqual([
      ['ada-hook', 'ada'],
      ['ada-hook', 'ada'],
    ])
  })

  it('counts delivered ones per channel and exits 0 when the target accepts them', async () => {
    const env = envFor('ok', { IMGPIPE_DELIVERY_ALLOW_PRIVATE: 'true' })
    await subscribe(env)
    const result = await runCli(['run', '--count', '8'], env)
    expect(result.code, result.stderr).toBe(0)
    expect(receiver.delivered()).toHaveLength(2)
    expect(result.stdout).toContain('processed: 8 analysed, 0 failed, 2 events, 2 alerts recorded\n')
    expect(result.stdout).toContain('deliveries: webhook 2 delivered, 0 retrying, 0 dead\n')
    expect(result.stderr).not.toContain('imgpipe:')
  })

  it('says when no subscription wanted the alerts, and prints no deliveries line when nothing was alerted', async () => {
    const result = await runCli(['run', '--count', '4'], envFor('none'))
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('deliveries: none (no subscription wanted these alerts')
    const quiet = await runCli(['run', '--count', '2', '--stream', 'calm'], envFor('none'))
    expect(quiet.stdout).not.toContain('deliveries:')
  })

  it('gives ingest exit code 4 over 3 when a delivery is dead and a file was rejected', async () => {
    const env = envFor('ingest')
    await subscribe(env)
    const input = path.join(dir, 'input')
    await mkdir(input)
    const teddy = await renderTeddyBear(120)
    await writeFile(path.join(input, 'a.jpg'), teddy)
    await writeFile(path.join(input, 'b.jpg'), await sharp(teddy).rotate(90).jpeg().toBuffer())
    // A damaged image (a JPEG cut short): an image by content, so it is rejected, not skipped as a non-image.
    await writeFile(path.join(input, 'c.jpg'), teddy.subarray(0, 300))
    const result = await runCli(['ingest', input, '--stream', 'cam'], env)
    expect(result.code, result.stderr).toBe(4)
    expect(result.stdout).toContain('deliveries: webhook 0 delivered, 0 retrying, 1 dead\n')
    expect(result.stderr).toContain('rejected c.jpg')
    expect(result.stderr).toContain('subscription ada-hook (subscriber ada) failed for good')
  })
})

describe('a re-run of a complete mock stream', () => {
  it('says the stream is complete, and the commands it suggests give more images and a fresh start', async () => {
    const env = envFor('again')
    expect((await runCli(['run', '--count', '4', '--stream', 'cam'], env)).code).toBe(0)
    const again = await runCli(['run', '--count', '4', '--stream', 'cam'], env)
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('received: 0 new, 0 already recorded, 0 failed\n')
    expect(again.stdout).toContain('complete: stream cam already has its 4 images; nothing new to receive')
    const more = /more images: (imgpipe .*)$/m.exec(again.stdout)?.[1]
    const fresh = /start over: {2}(imgpipe .*?) {2}\(/m.exec(again.stdout)?.[1]
    expect(more).toBe('imgpipe run --count 8 --stream cam')
    expect(fresh).toBe('imgpipe db empty --yes')

    const grown = await runCli(more!.split(' ').slice(1), env)
    expect(grown.code).toBe(0)
    expect(grown.stdout).toContain('received: 4 new, 0 already recorded, 0 failed')
    expect(readRows(path.join(dir, 'again.db')).images.map((image) => image['image_num'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8])

    expect((await runCli(fresh!.split(' ').slice(1), env)).code).toBe(0)
    const restarted = await runCli(['run', '--count', '4', '--stream', 'cam', '--json'], env)
    expect(restarted.code).toBe(0)
    expect(JSON.parse(restarted.stdout)).toMatchObject({ outcomes: { received: 4, duplicate: 0, failed: 0 } })
    expect(JSON.parse(restarted.stdout)).not.toHaveProperty('complete')
  })

  it('names every complete stream and keeps the stream flags in the suggestion; JSON says it too', async () => {
    const env = envFor('streams')
    expect((await runCli(['run', '--count', '2', '--streams', '2'], env)).code).toBe(0)
    const again = await runCli(['run', '--count', '2', '--streams', '2', '--json'], env)
    expect(JSON.parse(again.stdout)).toMatchObject({
      complete: { streams: ['default-1', 'default-2'], count: 2, more: 'imgpipe run --count 4 --streams 2' },
    })
  })
})
