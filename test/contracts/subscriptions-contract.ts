import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SqlCatalog } from '../../src/adapters/sql/sql-catalog.js'
import { CatalogConflictError } from '../../src/core/errors.js'
import type { AlertToRecord, NewSubscription, Subscriptions } from '../../src/core/ports/subscriptions.js'
import type { OpenedCatalog } from '../support/catalog-backends.js'
import { insertOneImage, recordOneAnalysis } from '../support/catalog-writes.js'

/** An image pair with an event on `stream`; returns the event id. */
export async function seedEvent(catalog: SqlCatalog, stream: string, imageNum: number, changedFraction = 0.25): Promise<number> {
  const { image } = await insertOneImage(catalog, {
    stream,
    imageNum,
    imageFilename: `image_${imageNum}.png`,
    imageObjectKey: `image/${stream}/image_${imageNum}.png`,
    contentSha256: null,
    byteSize: 10,
    width: 4,
    height: 4,
    format: 'png',
    status: 'received',
  })
  const { event } = await recordOneAnalysis(
    catalog,
    image.imageId,
    { previousImageId: null, l2Norm: 1, changedFraction, maxAbsDifference: 9, analyzedAt: new Date() },
    {
      imageId: image.imageId,
      differenceImageObjectKey: `difference_image/${stream}/${imageNum}.png`,
      eventType: 'changed',
      analyzer: 't',
      analyzerVersion: '1',
    },
  )
  return event!.imageEventId
}

/** The Subscriptions ports' behaviour (SubscriptionAdmin and DeliveryLedger), on every SQL catalog (SQLite, MariaDB, PostgreSQL). */
export function subscriptionsContract(name: string, open: () => Promise<OpenedCatalog>): void {
  describe(`Subscriptions contract: ${name}`, () => {
    let opened: OpenedCatalog
    let catalog: SqlCatalog
    let subscriptions: Subscriptions
    let subscriberId: number

    const subscription = (overrides: Partial<NewSubscription> = {}): NewSubscription => ({
      subscriberId,
      name: `sub-${Math.random().toString(36).slice(2, 8)}`,
      channel: 'webhook',
      target: 'http://127.0.0.1:9/hook',
      secret: 'whsec_c2VjcmV0',
      filter: {},
      ...overrides,
    })

    /** One event's alert: a batch of one (the port records alerts in batches only). */
    const recordOne = async (imageEventId: number, wants: AlertToRecord['wants'], now: Date) =>
      (await subscriptions.recordAlerts([{ imageEventId, wants }], now))[0]!

    beforeEach(async () => {
      opened = await open()
      catalog = opened.catalog
      await catalog.migrate()
      subscriptions = catalog.subscriptions
      subscriberId = (await subscriptions.addSubscriber({ name: 'ada', contact: 'ada@example.org' })).subscriberId
    })

    afterEach(async () => {
      await opened.cleanup()
    })

    it('keeps subscribers and subscriptions, unique by name, with the filter as given', async () => {
      const added = await subscriptions.addSubscription(
        subscription({ name: 'hook', filter: { streams: ['cam-*'], minChangedFraction: 0.1 } }),
      )
      expect(added).toMatchObject({
        name: 'hook',
        channel: 'webhook',
        enabled: true,
        filter: { streams: ['cam-*'], minChangedFraction: 0.1 },
      })
      await expect(subscriptions.addSubscription(subscription({ name: 'hook' }))).rejects.toBeInstanceOf(CatalogConflictError)
      await expect(subscriptions.addSubscriber({ name: 'ada', contact: null })).rejects.toBeInstanceOf(CatalogConflictError)
      expect((await subscriptions.findSubscription('hook'))?.subscriptionId).toBe(added.subscriptionId)
      expect(await subscriptions.setSubscriptionEnabled('hook', false)).toBe(true)
      expect((await subscriptions.listSubscriptions({ enabledOnly: true })).map((row) => row.name)).toEqual([])
      expect((await subscriptions.listSubscriptions()).map((row) => row.enabled)).toEqual([false])
    })

    it('records the alert and one receiver per wanted subscription in one step; a second call adds nothing', async () => {
      const a = await subscriptions.addSubscription(subscription({ name: 'a' }))
      const b = await subscriptions.addSubscription(subscription({ name: 'b' }))
      await subscriptions
        .addSubscription(subscription({ name: 'off' }))
        .then((off) => subscriptions.setSubscriptionEnabled(off.subscriptionId, false))
      const eventId = await seedEvent(catalog, 'cam', 1)
      const now = new Date()
      const first = await recordOne(eventId, (s) => s.name !== 'b', now)
      expect(first.created).toBe(true)
      expect(first.receivers.map((r) => [r.subscriptionId, r.status, r.attempts])).toEqual([[a.subscriptionId, 'pending', 0]])
      const again = await recordOne(eventId, () => true, now)
      expect(again).toMatchObject({ created: false, alert: { imageEventAlertId: first.alert.imageEventAlertId } })
      expect(again.receivers.map((r) => r.deliveryId)).toEqual(first.receivers.map((r) => r.deliveryId))
      expect(await subscriptions.listReceivers({ limit: 10, subscriptionId: b.subscriptionId })).toEqual([])
      expect(await subscriptions.countOpen()).toBe(1)
    })

    it('rolls the alert back when its receivers cannot be written', async () => {
      await subscriptions.addSubscription(subscription({ name: 'a' }))
      const eventId = await seedEvent(catalog, 'cam', 1)
      await expect(
        recordOne(
          eventId,
          () => {
            throw new Error('filter exploded')
          },
          new Date(),
        ),
      ).rejects.toThrow()
      expect(await catalog.listUndeliveredAlerts({ limit: 10 })).toEqual([])
    })

    it('leases due receivers to one claimant, records outcomes, and gives an expired lease back', async () => {
      await subscriptions.addSubscription(subscription({ name: 'a' }))
      await subscriptions.addSubscription(subscription({ name: 'b' }))
      const eventId = await seedEvent(catalog, 'cam', 1)
      const t0 = new Date()
      await recordOne(eventId, () => true, t0)
      const [one, two] = await Promise.all([subscriptions.claimDue(t0, 10, 60_000), subscriptions.claimDue(t0, 10, 60_000)])
      const claimed = [...one!, ...two!]
      expect(claimed).toHaveLength(2)
      expect(new Set(claimed.map((r) => r.receiverId)).size).toBe(2)
      expect(claimed.every((r) => r.attempts === 1)).toBe(true)
      expect(await subscriptions.claimDue(t0, 10, 60_000)).toEqual([])
      const [first, second] = claimed.sort((x, y) => x.receiverId - y.receiverId)
      await subscriptions.recordAttempts([first!.receiverId], { kind: 'delivered', responseCode: 204, at: new Date() })
      await subscriptions.recordAttempts([second!.receiverId], {
        kind: 'retry',
        error: 'IMGPIPE_DELIVERY_FAILED: 503',
        responseCode: 503,
        nextAttemptAt: new Date(t0.getTime() + 5_000),
      })
      expect(await subscriptions.claimDue(new Date(t0.getTime() + 1_000), 10, 60_000)).toEqual([])
      const retried = await subscriptions.claimDue(new Date(t0.getTime() + 5_000), 10, 60_000)
      expect(retried.map((r) => [r.receiverId, r.status, r.attempts, r.responseCode])).toEqual([[second!.receiverId, 'failed', 2, 503]])
      // A worker that died holding the lease: the row is due again when the lease runs out.
      const later = new Date(t0.getTime() + 5_000 + 60_000)
      expect((await subscriptions.claimDue(later, 10, 60_000)).map((r) => r.attempts)).toEqual([3])
      await subscriptions.recordAttempts([second!.receiverId], { kind: 'dead', error: 'gone', responseCode: 410 })
      // A late failure report must not undo a success.
      await subscriptions.recordAttempts([first!.receiverId], { kind: 'dead', error: 'late', responseCode: null })
      const rows = await subscriptions.receiversOfAlert((await recordOne(eventId, () => true, t0)).alert.imageEventAlertId)
      expect(rows.map((r) => r.status)).toEqual(['delivered', 'dead'])
      expect(rows[0]!.deliveredAt).not.toBeNull()
      expect(await subscriptions.retry({ status: 'dead', now: later })).toBe(1)
      expect((await subscriptions.listReceivers({ limit: 10, status: 'pending' })).map((r) => r.attempts)).toEqual([0])
    })

    it('holds alerts within a digest interval until its end', async () => {
      const digest = await subscriptions.addSubscription(subscription({ name: 'digest', filter: { digestSeconds: 60 } }))
      const t0 = new Date('2030-01-01T00:00:00.000Z')
      const r1 = await recordOne(await seedEvent(catalog, 'cam', 1), () => true, t0)
      const r2 = await recordOne(await seedEvent(catalog, 'cam', 2), () => true, new Date(t0.getTime() + 10_000))
      const r3 = await recordOne(await seedEvent(catalog, 'cam', 3), () => true, new Date(t0.getTime() + 20_000))
      const r4 = await recordOne(await seedEvent(catalog, 'cam', 4), () => true, new Date(t0.getTime() + 61_000))
      const rows = [r1, r2, r3, r4].map((r) => r.receivers[0]!)
      expect(rows.map((r) => r.digest)).toEqual([false, true, true, false])
      expect(rows.map((r) => r.nextAttemptAt.getTime() - t0.getTime())).toEqual([0, 60_000, 60_000, 61_000])
      expect(rows.every((r) => r.subscriptionId === digest.subscriptionId)).toBe(true)
    })

    it('records a batch of alerts with their receivers in one call; a repeat or an overlapping batch adds only what is new', async () => {
      const a = await subscriptions.addSubscription(subscription({ name: 'a' }))
      const b = await subscriptions.addSubscription(subscription({ name: 'b' }))
      const [e1, e2, e3] = [await seedEvent(catalog, 'cam', 1), await seedEvent(catalog, 'cam', 2), await seedEvent(catalog, 'cam', 3)]
      const now = new Date()
      const all = () => true
      const first = await subscriptions.recordAlerts(
        [
          { imageEventId: e1, wants: all },
          { imageEventId: e2, wants: (s) => s.name === 'a' },
        ],
        now,
      )
      expect(first.map((r) => [r.alert.imageEventId, r.created, r.receivers.map((x) => x.subscriptionId)])).toEqual([
        [e1, true, [a.subscriptionId, b.subscriptionId]],
        [e2, true, [a.subscriptionId]],
      ])
      const second = await subscriptions.recordAlerts(
        [
          { imageEventId: e2, wants: all },
          { imageEventId: e3, wants: (s) => s.name === 'b' },
          { imageEventId: e3, wants: all },
        ],
        now,
      )
      expect(second.map((r) => [r.alert.imageEventId, r.created, r.receivers.map((x) => x.subscriptionId)])).toEqual([
        [e2, false, [a.subscriptionId]],
        [e3, true, [b.subscriptionId]],
        [e3, false, [b.subscriptionId]],
      ])
      expect(second[0]!.receivers).toEqual(first[1]!.receivers)
      expect(await subscriptions.countOpen()).toBe(4)
    })

    it('lets racing overlapping batches record each alert and its receivers exactly once', async () => {
      await subscriptions.addSubscription(subscription({ name: 'a' }))
      await subscriptions.addSubscription(subscription({ name: 'b' }))
      const ids: number[] = []
      for (let n = 1; n <= 8; n += 1) ids.push(await seedEvent(catalog, 'race', n))
      const batches = [ids.slice(0, 5), ids.slice(3), [...ids].reverse(), ids]
      const results = (
        await Promise.all(
          batches.map((batch) =>
            subscriptions.recordAlerts(
              batch.map((imageEventId) => ({ imageEventId, wants: () => true })),
              new Date(),
            ),
          ),
        )
      ).flat()
      for (const id of ids) {
        const outcomes = results.filter((r) => r.alert.imageEventId === id)
        expect(outcomes.filter((r) => r.created)).toHaveLength(1)
        expect(new Set(outcomes.map((r) => r.alert.imageEventAlertId)).size).toBe(1)
      }
      expect(await subscriptions.listReceivers({ limit: 100 })).toHaveLength(ids.length * 2)
    })

    it('records one outcome for many receivers in one call, never undoing a success', async () => {
      await subscriptions.addSubscription(subscription({ name: 'a' }))
      await subscriptions.addSubscription(subscription({ name: 'b' }))
      const t0 = new Date()
      for (let n = 1; n <= 2; n += 1) await recordOne(await seedEvent(catalog, 'cam', n), () => true, t0)
      const [first, ...rest] = (await subscriptions.claimDue(t0, 10, 60_000)).map((r) => r.receiverId)
      await subscriptions.recordAttempts([first!], { kind: 'delivered', responseCode: 204, at: t0 })
      await subscriptions.recordAttempts([first!, ...rest], { kind: 'dead', error: 'gone', responseCode: 410 })
      const rows = await subscriptions.listReceivers({ limit: 10 })
      expect(rows.map((r) => [r.status, r.responseCode])).toEqual([
        ['delivered', 204],
        ['dead', 410],
        ['dead', 410],
        ['dead', 410],
      ])
      await subscriptions.recordAttempts([], { kind: 'dead', error: 'nothing', responseCode: null })
    })

    it('tallies receivers per subscription and status, with names and channel, after a receiver id and in given statuses', async () => {
      expect(await subscriptions.lastReceiverId()).toBe(0)
      expect(await subscriptions.tallyReceivers()).toEqual([])
      const hook = await subscriptions.addSubscription(subscription({ name: 'hook' }))
      const topic = await subscriptions.addSubscription(
        subscription({ name: 'topic', channel: 'kafka-topic', target: 'alerts', secret: null }),
      )
      const t0 = new Date()
      await recordOne(await seedEvent(catalog, 'cam', 1), () => true, t0)
      const before = await subscriptions.lastReceiverId()
      expect(before).toBeGreaterThan(0)
      for (let n = 2; n <= 3; n += 1) await recordOne(await seedEvent(catalog, 'cam', n), () => true, t0)
      const claimed = await subscriptions.claimDue(t0, 10, 60_000)
      const of = (subscriptionId: number, imageNum: number) =>
        claimed.filter((r) => r.subscriptionId === subscriptionId).sort((x, y) => x.receiverId - y.receiverId)[imageNum - 1]!.receiverId
      await subscriptions.recordAttempts([of(hook.subscriptionId, 2), of(hook.subscriptionId, 3)], {
        kind: 'dead',
        error: 'refused',
        responseCode: null,
      })
      await subscriptions.recordAttempts([of(topic.subscriptionId, 2)], { kind: 'delivered', responseCode: null, at: t0 })
      await subscriptions.recordAttempts([of(topic.subscriptionId, 3)], {
        kind: 'retry',
        error: 'busy',
        responseCode: null,
        nextAttemptAt: new Date(t0.getTime() + 60_000),
      })
      await subscriptions.release([of(hook.subscriptionId, 1), of(topic.subscriptionId, 1)], t0)
      const names = { subscription: 'hook', subscriber: 'ada', channel: 'webhook', subscriptionId: hook.subscriptionId }
      const topicNames = { subscription: 'topic', subscriber: 'ada', channel: 'kafka-topic', subscriptionId: topic.subscriptionId }
      expect(await subscriptions.tallyReceivers({ afterReceiverId: before })).toEqual([
        { ...names, status: 'dead', count: 2 },
        { ...topicNames, status: 'delivered', count: 1 },
        { ...topicNames, status: 'failed', count: 1 },
      ])
      expect(await subscriptions.tallyReceivers({ statuses: ['pending', 'dead'] })).toEqual([
        { ...names, status: 'dead', count: 2 },
        { ...names, status: 'pending', count: 1 },
        { ...topicNames, status: 'pending', count: 1 },
      ])
      expect(await subscriptions.tallyReceivers({ statuses: [] })).toEqual([])
      expect(await subscriptions.lastReceiverId()).toBe(before + 4)
    })

    it("holds a batch's alerts within a digest interval as one call per alert would", async () => {
      const digest = await subscriptions.addSubscription(subscription({ name: 'digest', filter: { digestSeconds: 60 } }))
      const plain = await subscriptions.addSubscription(subscription({ name: 'plain' }))
      const t0 = new Date('2030-01-01T00:00:00.000Z')
      const ids = [await seedEvent(catalog, 'cam', 1), await seedEvent(catalog, 'cam', 2), await seedEvent(catalog, 'cam', 3)]
      const batch = await subscriptions.recordAlerts(
        [...ids].reverse().map((imageEventId) => ({ imageEventId, wants: () => true })),
        t0,
      )
      const held = (r: (typeof batch)[number]) => r.receivers.find((x) => x.subscriptionId === digest.subscriptionId)!
      const byEvent = [...batch].sort((x, y) => x.alert.imageEventId - y.alert.imageEventId)
      expect(byEvent.map((r) => held(r).digest)).toEqual([false, true, true])
      expect(byEvent.map((r) => held(r).nextAttemptAt.getTime() - t0.getTime())).toEqual([0, 60_000, 60_000])
      expect(batch.every((r) => r.receivers.some((x) => x.subscriptionId === plain.subscriptionId && !x.digest))).toBe(true)
      const later = await subscriptions.recordAlerts(
        [{ imageEventId: await seedEvent(catalog, 'cam', 4), wants: () => true }],
        new Date(t0.getTime() + 61_000),
      )
      expect(held(later[0]!).digest).toBe(false)
    })

    it('replays: resets rows since a time and adds rows for alerts a newer subscription never had', async () => {
      const old = await subscriptions.addSubscription(subscription({ name: 'old' }))
      const t0 = new Date()
      const alertA = (await recordOne(await seedEvent(catalog, 'cam', 1), () => true, t0)).alert
      const [row] = await subscriptions.claimDue(t0, 10, 1000)
      await subscriptions.recordAttempts([row!.receiverId], { kind: 'delivered', responseCode: 200, at: t0 })
      const fresh = await subscriptions.addSubscription(subscription({ name: 'fresh', filter: { streams: ['cam'] } }))
      const count = await subscriptions.replay({
        since: new Date(t0.getTime() - 60_000),
        now: t0,
        wants: (s, facts) => (s.filter.streams ?? [facts.stream]).includes(facts.stream),
      })
      expect(count).toBe(2)
      const rows = await subscriptions.receiversOfAlert(alertA.imageEventAlertId)
      expect(rows.map((r) => [r.subscriptionId, r.status])).toEqual([
        [old.subscriptionId, 'pending'],
        [fresh.subscriptionId, 'pending'],
      ])
      expect(rows[0]!.deliveryId).toBe(row!.deliveryId)
    })

    it('removing a subscription or subscriber removes its receivers; db empty keeps the settings', async () => {
      const a = await subscriptions.addSubscription(subscription({ name: 'a' }))
      await recordOne(await seedEvent(catalog, 'cam', 1), () => true, new Date())
      expect(await subscriptions.removeSubscription(a.subscriptionId)).toBe(true)
      expect(await subscriptions.listReceivers({ limit: 10 })).toEqual([])
      await subscriptions.addSubscription(subscription({ name: 'b' }))
      await recordOne(await seedEvent(catalog, 'cam', 2), () => true, new Date())
      await catalog.emptyTables()
      expect((await subscriptions.listSubscriptions()).map((s) => s.name)).toEqual(['b'])
      expect(await subscriptions.removeSubscriber('ada')).toBe(true)
      expect(await subscriptions.listSubscriptions()).toEqual([])
      await catalog.reset()
      expect(await subscriptions.listSubscribers()).toEqual([])
    })
  })
}
