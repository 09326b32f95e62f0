import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MemoryBus } from '../../../src/adapters/memory/memory-bus.js'
import { MemoryObjectStore } from '../../../src/adapters/memory/memory-object-store.js'
import type { SqlCatalog } from '../../../src/adapters/sql/sql-catalog.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { silentLogger } from '../../../src/core/logger.js'
import { AlertStage } from '../../../src/stages/alert/alert-stage.js'
import { topicsFor, type StageContext } from '../../../src/stages/stage-context.js'
import { seedEvent } from '../../contracts/subscriptions-contract.js'
import { catalogBackends, type OpenedCatalog } from '../../support/catalog-backends.js'
import { message } from '../../support/memory-context.js'
import { RecordingChannel } from '../../support/recording-channel.js'

/** Counts the calls of each method of a port: what the stage asks of the catalog per batch. */
function counted<T extends object>(target: T, calls: Map<string, number>, prefix = ''): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const name = `${prefix}${String(property)}`
        calls.set(name, (calls.get(name) ?? 0) + 1)
        return (value as (...args: unknown[]) => unknown).apply(object, args)
      }
    },
  })
}

/** The alert stage's handling of a consumer batch, on every SQL catalog: all messages in flight at once. */
for (const backend of catalogBackends()) {
  describe(`AlertStage batches: ${backend.name}`, () => {
    let opened: OpenedCatalog
    let catalog: SqlCatalog
    let context: StageContext<SqlCatalog>
    let abort: AbortController
    const calls = new Map<string, number>()

    beforeEach(async () => {
      opened = await backend.open()
      catalog = opened.catalog
      await catalog.migrate()
      calls.clear()
      abort = new AbortController()
      context = {
        catalog: counted(catalog, calls),
        store: new MemoryObjectStore(),
        bus: new MemoryBus({ defaultPartitions: 1 }),
        topics: topicsFor({ topicPrefix: '' }),
        analysis: loadConfig({}).analysis,
        logger: silentLogger,
        signal: abort.signal,
      }
    })

    afterEach(async () => {
      abort.abort()
      await opened.cleanup()
    })

    async function events(count: number, stream = 'cam'): Promise<number[]> {
      const ids: number[] = []
      for (let n = 1; n <= count; n += 1) ids.push(await seedEvent(catalog, stream, n))
      return ids
    }

    const handleAll = (stage: AlertStage, ids: readonly number[]) =>
      Promise.allSettled(ids.map((id) => stage.handle(message('image_event_alert', JSON.stringify({ image_event_id: id })))))

    it('alerts a batch with one read, one insert and one delivered mark; a repeated message is alerted and delivered once', async () => {
      const ids = await events(20)
      const channel = new RecordingChannel()
      const stage = new AlertStage(context, [channel])
      const results = await handleAll(stage, [...ids, ids[3]!, ids[7]!])
      expect(results.every((result) => result.status === 'fulfilled')).toBe(true)
      expect(Object.fromEntries(calls)).toEqual({ getEventsWithImages: 1, insertAlerts: 1, markAlertsDelivered: 1 })
      expect(channel.alerts.map((item) => item.imageEventId).sort((a, b) => a - b)).toEqual(ids)
      expect((await catalog.counts()).alerts).toBe(20)
      expect(await catalog.listUndeliveredAlerts({ limit: 100 })).toEqual([])
      const view = await catalog.getAlertView(channel.alerts[0]!.alertNum)
      expect(view?.alert.deliveryChannels).toBe('recording')

      // The same batch again (a crash before the offset commit): nothing new, nothing sent again.
      calls.clear()
      await handleAll(stage, ids)
      expect(Object.fromEntries(calls)).toEqual({ getEventsWithImages: 1, insertAlerts: 1 })
      expect(channel.alerts).toHaveLength(20)
      expect((await catalog.counts()).alerts).toBe(20)
    })

    it('records receiver rows for a batch in one call, only for the subscriptions each alert matches', async () => {
      const subscriptions = catalog.subscriptions
      const subscriberId = (await subscriptions.addSubscriber({ name: 'obs', contact: null })).subscriberId
      const add = (name: string, streams?: string[]) =>
        subscriptions.addSubscription({
          subscriberId,
          name,
          channel: 'webhook',
          target: 'http://127.0.0.1:9/hook',
          secret: null,
          filter: streams === undefined ? {} : { streams },
        })
      const all = await add('all')
      const north = await add('north', ['north-*'])
      const ids = [...(await events(3, 'north-1')), ...(await events(2, 'south'))]
      let woken = 0
      const stage = new AlertStage(context, [new RecordingChannel()], {
        subscriptions: counted(subscriptions, calls, 'subscriptions.'),
        onRecorded: () => (woken += 1),
      })
      await handleAll(stage, ids)
      expect(calls.get('subscriptions.recordAlerts')).toBe(1)
      expect(calls.get('subscriptions.recordAlert')).toBeUndefined()
      expect(woken).toBe(1)
      const receivers = await subscriptions.listReceivers({ limit: 100 })
      expect(receivers.filter((receiver) => receiver.subscriptionId === all.subscriptionId)).toHaveLength(5)
      expect(receivers.filter((receiver) => receiver.subscriptionId === north.subscriptionId)).toHaveLength(3)
    })

    it('fails only the messages whose delivery failed; recovery delivers them in one batch', async () => {
      const ids = await events(6)
      const channel = new RecordingChannel()
      channel.failuresLeft = 2
      const stage = new AlertStage(context, [channel])
      const results = await handleAll(stage, ids)
      expect(results.filter((result) => result.status === 'rejected')).toHaveLength(2)
      expect(await catalog.listUndeliveredAlerts({ limit: 100 })).toHaveLength(2)
      calls.clear()
      expect(await stage.recover()).toBe(2)
      expect(calls.get('getEventsWithImages')).toBe(1)
      expect(calls.get('markAlertsDelivered')).toBe(1)
      expect(channel.alerts).toHaveLength(6)
      expect(await catalog.listUndeliveredAlerts({ limit: 100 })).toEqual([])
    })

    it('fails an unknown event alone, after its wait, while the rest of the batch is alerted', async () => {
      const ids = await events(3)
      const stage = new AlertStage(context, [new RecordingChannel()])
      const results = await Promise.allSettled([...ids, 999_999].map((id) => stage.alertEvent(id, 200)))
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected'])
      expect(results[3]).toMatchObject({ reason: { code: 'IMGPIPE_NOT_FOUND' } })
      expect((await catalog.counts()).alerts).toBe(3)
    })
  })
}
