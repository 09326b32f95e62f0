import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WebhookChannel, newWebhookSecret } from '../../../src/adapters/webhook/webhook-channel.js'
import { silentLogger } from '../../../src/core/logger.js'
import type { DeliveryChannel } from '../../../src/core/ports/delivery-channel.js'
import type { AlertFilter, ChannelKind } from '../../../src/core/ports/subscriptions.js'
import { AlertStage } from '../../../src/stages/alert/alert-stage.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { DeliveryWorker, nextDelayMs } from '../../../src/stages/alert/delivery-worker.js'
import type { DeliverySettings } from '../../../src/stages/alert/delivery-worker.js'
import { seedEvent } from '../../contracts/subscriptions-contract.js'
import { memoryContext, type TestContext } from '../../support/memory-context.js'
import { WebhookReceiver } from '../../support/webhook-receiver.js'

const secret = newWebhookSecret()
let context: TestContext
let receiver: WebhookReceiver
let worker: DeliveryWorker | undefined
let subscriberId: number

/** The defaults of the settings table, sped up. */
const DEFAULTS: DeliverySettings = loadConfig({}, {}, '/').delivery
const FAST: DeliverySettings = { ...DEFAULTS, backoffBaseMs: 100, backoffMaxMs: 1_000, pollMs: 50, timeoutMs: 2_000 }

function startWorker(settings: Partial<DeliverySettings> = {}): DeliveryWorker {
  const channels = new Map<string, DeliveryChannel>([['webhook', new WebhookChannel({ allowPrivate: true, resolveSecret: (ref) => ref })]])
  worker = new DeliveryWorker(
    context.catalog,
    context.catalog.subscriptions,
    channels,
    { ...FAST, ...settings },
    silentLogger,
    context.store,
  )
  worker.start()
  return worker
}

async function subscribe(name: string, filter: AlertFilter = {}, channel: ChannelKind = 'webhook'): Promise<number> {
  const added = await context.catalog.subscriptions.addSubscription({
    subscriberId,
    name,
    channel,
    target: receiver.url(`/${name}`),
    secret,
    filter,
  })
  return added.subscriptionId
}

/** Records alerts the way the pipeline does: through the alert stage with subscriptions. */
async function alert(count: number, stream = 'cam'): Promise<void> {
  const stage = new AlertStage(context, [], { subscriptions: context.catalog.subscriptions, onRecorded: () => worker?.wake() })
  const first = (await context.catalog.counts()).events + 1
  for (let index = 0; index < count; index += 1) await stage.alertEvent(await seedEvent(context.catalog, stream, first + index))
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

beforeEach(async () => {
  context = await memoryContext()
  receiver = await WebhookReceiver.start(secret)
  subscriberId = (await context.catalog.subscriptions.addSubscriber({ name: 'obs', contact: null })).subscriberId
})

afterEach(async () => {
  await worker?.stop()
  worker = undefined
  await receiver.close()
  await context.close()
})

describe('DeliveryWorker', () => {
  it('delivers each alert to each subscription its filter wants, signed, once per delivery id', async () => {
    await subscribe('all')
    await subscribe('other-stream', { streams: ['other-*'] })
    await subscribe('big', { minChangedFraction: 0.2 })
    startWorker()
    await alert(3)
    await until(async () => (await context.catalog.subscriptions.countOpen()) === 0, 10_000)
    const receivers = await context.catalog.subscriptions.listReceivers({ limit: 100 })
    expect(receivers).toHaveLength(6)
    expect(receivers.every((row) => row.status === 'delivered' && row.attempts === 1 && row.responseCode === 204)).toBe(true)
    expect(receiver.hooks.every((hook) => hook.signatureValid)).toBe(true)
    expect(receiver.hooks.map((hook) => hook.headers['webhook-id']).sort()).toEqual(receivers.map((row) => row.deliveryId).sort())
    expect(receiver.hooks.filter((hook) => hook.path === '/other-stream')).toEqual([])
    const alertNums = receiver
      .delivered('/all')
      .map((hook) => (hook.json as { data: { alerts: { alertNum: number }[] } }).data.alerts[0]!.alertNum)
    expect(alertNums.sort()).toEqual([1, 2, 3])
  })

  it('a target answering 503 for 30 s then recovering gets every alert, with no duplicate receiver rows', { timeout: 90_000 }, async () => {
    await subscribe('flaky')
    await subscribe('steady')
    const downUntil = Date.now() + 30_000
    receiver.behaviour = ({ path }) =>
      path === '/flaky' && Date.now() < downUntil ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }
    startWorker({ backoffBaseMs: 200, backoffMaxMs: 2_000, maxAttempts: 100 })
    await alert(5)
    await until(async () => (await context.catalog.subscriptions.countOpen()) === 0, 60_000)
    const receivers = await context.catalog.subscriptions.listReceivers({ limit: 100 })
    expect(receivers).toHaveLength(10)
    expect(receivers.every((row) => row.status === 'delivered')).toBe(true)
    const flaky = receiver.hooks.filter((hook) => hook.path === '/flaky')
    expect(flaky.some((hook) => hook.status === 503)).toBe(true)
    const accepted = receiver.delivered('/flaky').map((hook) => hook.headers['webhook-id'])
    expect(new Set(accepted).size).toBe(5)
    expect(accepted).toHaveLength(5)
    // Retries kept the delivery id: every 503'd id is among the accepted ones.
    expect(flaky.every((hook) => accepted.includes(hook.headers['webhook-id']))).toBe(true)
    expect(receiver.delivered('/steady')).toHaveLength(5)
  })

  it(
    'a hanging target times out and is retried while the other subscriptions go on at their normal latency',
    { timeout: 30_000 },
    async () => {
      await subscribe('hangs')
      await subscribe('fast')
      receiver.behaviour = ({ path }) => (path === '/hangs' ? 'hang' : { status: 204 })
      // The timeout is long enough for eight deliveries on a loaded machine, and short enough for the test.
      const timeoutMs = 3_000
      startWorker({ timeoutMs, concurrency: 4, perSubscription: 2 })
      const started = Date.now()
      await alert(8)
      await until(async () => receiver.delivered('/fast').length === 8, 10_000)
      const fastLatest = Math.max(...receiver.delivered('/fast').map((hook) => hook.at)) - started
      // Within one attempt timeout: the hanging target never held the queue.
      expect(fastLatest).toBeLessThan(timeoutMs)
      await until(async () => (await context.catalog.subscriptions.listReceivers({ limit: 100, status: 'failed' })).length > 0, 10_000)
      const failed = await context.catalog.subscriptions.listReceivers({ limit: 100, status: 'failed' })
      expect(failed[0]!.lastError).toMatch(/timeout/)
    },
  )

  it(
    'honours Retry-After, marks 4xx dead at once and a target failing every attempt dead after the last',
    { timeout: 30_000 },
    async () => {
      await subscribe('later')
      await subscribe('gone')
      await subscribe('broken')
      receiver.behaviour = ({ path, count }) =>
        path === '/later'
          ? count === 1
            ? { status: 429, headers: { 'retry-after': '2' } }
            : { status: 204 }
          : path === '/gone'
            ? { status: 410 }
            : { status: 500 }
      startWorker({ maxAttempts: 3, backoffBaseMs: 50, backoffMaxMs: 100 })
      await alert(1)
      await until(async () => (await context.catalog.subscriptions.countOpen()) === 0, 20_000)
      const later = receiver.hooks.filter((hook) => hook.path === '/later')
      expect(later).toHaveLength(2)
      expect(later[1]!.at - later[0]!.at).toBeGreaterThanOrEqual(1_900)
      const rows = await context.catalog.subscriptions.listReceivers({ limit: 10 })
      expect(rows.map((row) => [row.status, row.attempts, row.responseCode])).toEqual([
        ['delivered', 2, 204],
        ['dead', 1, 410],
        ['dead', 3, 500],
      ])
    },
  )

  it('sends the alerts a digest interval held as one message', { timeout: 20_000 }, async () => {
    await subscribe('digest', { digestSeconds: 2 })
    startWorker()
    await alert(4)
    await until(async () => (await context.catalog.subscriptions.countOpen()) === 0, 10_000)
    const messages = receiver.delivered('/digest').map((hook) => hook.json as { type: string; data: { alerts: { alertNum: number }[] } })
    expect(messages.map((message) => [message.type, message.data.alerts.map((item) => item.alertNum)])).toEqual([
      ['org.imgpipe.alert', [1]],
      ['org.imgpipe.alert.digest', [2, 3, 4]],
    ])
  })
})

describe('nextDelayMs', () => {
  it('doubles per attempt with 50–100 % jitter, up to the maximum, and waits at least Retry-After', () => {
    const settings = { ...DEFAULTS, backoffBaseMs: 1_000, backoffMaxMs: 8_000 }
    expect([1, 2, 3, 4, 5].map((attempt) => nextDelayMs(attempt, settings, null, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000])
    expect(nextDelayMs(3, settings, null, () => 0)).toBe(2_000)
    expect(nextDelayMs(1, settings, 30_000, () => 1)).toBe(30_000)
    expect(nextDelayMs(1, settings, 10 * 3_600_000, () => 1)).toBe(3_600_000)
  })
})
