import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryObjectLedger } from '../../../src/adapters/memory/memory-object-ledger.js'
import { MemoryBus } from '../../../src/adapters/memory/memory-bus.js'
import { MemoryObjectStore } from '../../../src/adapters/memory/memory-object-store.js'
import type { SqlCatalog } from '../../../src/adapters/sql/sql-catalog.js'
import { objectLedgerDeps } from '../../../src/analysis/association/ledger-deps.js'
import { loadConfig } from '../../../src/config/load-config.js'
import { silentLogger } from '../../../src/core/logger.js'
import type { DetectionInput, NewWatchlistCone, ObjectLedger } from '../../../src/core/ports/object-ledger.js'
import type { AlertFilter } from '../../../src/core/ports/subscriptions.js'
import type { EventType } from '../../../src/core/types.js'
import { AlertStage } from '../../../src/stages/alert/alert-stage.js'
import { topicsFor, type StageContext } from '../../../src/stages/stage-context.js'
import { postgresBackend, sqliteMemoryBackend, type CatalogBackend, type OpenedCatalog } from '../../support/catalog-backends.js'
import { insertOneImage, recordOneAnalysis } from '../../support/catalog-writes.js'

/**
 * Subscription filters on the detections of an alert's event (issue 19): the alert stage reads the event's
 * detections from the ObjectLedger (memory adapter here) and records a receiver row only for the subscriptions whose
 * every detection criterion one detection meets. What is asserted is the receiver rows each subscription got.
 */

type Detection = Partial<DetectionInput> & { ra: number; dec: number }

interface Fixture {
  catalog: SqlCatalog
  objects: ObjectLedger
  stage: AlertStage
  /** An image with an event of this type and these detections (associated into objects); returns the event id. */
  event(eventType: EventType, detections: readonly Detection[], header?: string): Promise<number>
  subscribe(name: string, filter: AlertFilter): Promise<number>
  /** Alerts the events (one batch) and returns, per subscription name, the event ids it got receivers for. */
  alert(eventIds: readonly number[]): Promise<Map<string, number[]>>
  close(): Promise<void>
}

let imageNum = 0
let mjd = 61_000

function detection(given: Detection, imageId: number | null, imageEventId: number | null): DetectionInput {
  return {
    imageId,
    imageEventId,
    stream: 'sky',
    mjd: (mjd += 0.01),
    filter: 'r',
    psfFlux: 1000,
    psfFluxErr: 100,
    snr: 10,
    realBogus: 0.9,
    kind: 'new_source',
    x: 10,
    y: 10,
    ...given,
  }
}

/** The catalog, and where the objects are: the memory adapter, or the catalog's own SQL ObjectLedger. */
interface Setup {
  backend: CatalogBackend
  ledger: 'memory' | 'catalog'
}

async function fixture({ backend, ledger }: Setup): Promise<Fixture> {
  const opened: OpenedCatalog = await backend.open()
  const catalog = opened.catalog
  await catalog.migrate()
  const objects = ledger === 'memory' ? createMemoryObjectLedger(objectLedgerDeps) : catalog.objectLedger(objectLedgerDeps)
  const abort = new AbortController()
  const context: StageContext<SqlCatalog> = {
    catalog,
    store: new MemoryObjectStore(),
    bus: new MemoryBus({ defaultPartitions: 1 }),
    topics: topicsFor({ topicPrefix: '' }),
    analysis: loadConfig({}).analysis,
    logger: silentLogger,
    signal: abort.signal,
  }
  const subscriptions = catalog.subscriptions
  const stage = new AlertStage(context, [], { subscriptions, facts: { objects, subscriptions } })
  const owner = await subscriptions.addSubscriber({ name: `owner-${Math.random().toString(36).slice(2)}`, contact: null })
  const names = new Map<number, string>()
  return {
    catalog,
    objects,
    stage,
    async event(eventType, detections, header) {
      imageNum += 1
      const { image } = await insertOneImage(catalog, {
        stream: 'sky',
        imageNum,
        imageFilename: `frame_${imageNum}.fits`,
        imageObjectKey: `image/sky/frame_${imageNum}.fits`,
        contentSha256: null,
        byteSize: 10,
        width: 64,
        height: 64,
        format: 'fits',
        status: 'received',
        ...(header === undefined
          ? {}
          : {
              observation: {
                hdu: 0,
                obsMjd: null,
                obsTime: null,
                exposureS: null,
                filter: 'r',
                field: null,
                centerRa: null,
                centerDec: null,
                pixelScaleArcsec: null,
                footprint: null,
                header,
              },
            }),
      })
      const { event } = await recordOneAnalysis(
        catalog,
        image.imageId,
        { previousImageId: null, l2Norm: 1, changedFraction: 0.1, maxAbsDifference: 9, analyzedAt: new Date() },
        {
          imageId: image.imageId,
          differenceImageObjectKey: `difference_image/sky/${imageNum}.fits`,
          eventType,
          analyzer: 't',
          analyzerVersion: '1',
        },
      )
      const eventId = event!.imageEventId
      if (detections.length > 0) await objects.associate(detections.map((given) => detection(given, image.imageId, eventId)))
      return eventId
    },
    async subscribe(name, filter) {
      const added = await subscriptions.addSubscription({
        subscriberId: owner.subscriberId,
        name,
        channel: 'kafka-topic',
        target: `alerts-${name}`,
        secret: null,
        filter,
      })
      names.set(added.subscriptionId, name)
      return added.subscriptionId
    },
    async alert(eventIds) {
      const alerts = await Promise.all(eventIds.map((id) => stage.alertEvent(id, 200)))
      const eventOfAlert = new Map(alerts.map((alert) => [alert.imageEventAlertId, alert.imageEventId]))
      const got = new Map<string, number[]>([...names.values()].map((name) => [name, []]))
      for (const receiver of await subscriptions.listReceivers({ limit: 10_000 })) {
        const eventId = eventOfAlert.get(receiver.imageEventAlertId)
        if (eventId !== undefined) got.get(names.get(receiver.subscriptionId)!)!.push(eventId)
      }
      for (const list of got.values()) list.sort((a, b) => a - b)
      return got
    },
    async close() {
      abort.abort()
      await opened.cleanup()
    },
  }
}

const WRAP: NewWatchlistCone = { name: 'wrap', ra: 359.9995, dec: 10, radiusArcsec: 5 }
const POLE: NewWatchlistCone = { name: 'pole', ra: 10, dec: 89.999, radiusArcsec: 10 }

const postgres = postgresBackend()
if (postgres === null) throw new Error('IMGPIPE_TEST_POSTGRES_URL is not set: eval "$(scripts/services.sh env)" first')

const SETUPS: Setup[] = [
  { backend: sqliteMemoryBackend, ledger: 'memory' },
  { backend: postgres, ledger: 'catalog' },
]

for (const setup of SETUPS) {
  const where = `catalog ${setup.backend.name}, objects ${setup.ledger === 'memory' ? 'in memory' : 'on the catalog'}`
  describe(`watchlist subscriptions (${where})`, () => {
    let f: Fixture
    beforeEach(async () => {
      f = await fixture(setup)
    })
    afterEach(async () => {
      await f.close()
    })

    it('receives exactly the alerts whose detections lie inside its cones, across RA 0 and the pole', async () => {
      await f.objects.addWatchlist('targets', [WRAP, POLE])
      await f.objects.addWatchlist('elsewhere', [{ name: 'far', ra: 150, dec: 2, radiusArcsec: 30 }])
      await f.subscribe('targets', { watchlists: ['targets'] })
      await f.subscribe('everything', {})
      const inside = [
        // 0.001° of RA at Dec 10 across RA 0: 3.5″ from the cone's centre.
        await f.event('new_source', [{ ra: 0.0005, dec: 10 }]),
        // Across the pole: 0.001° + 0.0005° of declination = 5.4″ from the centre.
        await f.event('new_source', [{ ra: 190, dec: 89.9995 }]),
        // Two detections, one of them inside.
        await f.event('brightening', [
          { ra: 150, dec: 2 },
          { ra: 359.9999, dec: 10.0005 },
        ]),
      ]
      const outside = [
        // 0.003° of RA at Dec 10: 10.6″ from the wrap cone (radius 5″).
        await f.event('new_source', [{ ra: 0.003, dec: 10 }]),
        // 32″ from the pole cone (radius 10″).
        await f.event('new_source', [{ ra: 10, dec: 89.99 }]),
        // Inside another watchlist only.
        await f.event('new_source', [{ ra: 150, dec: 2 }]),
        // No detections at all.
        await f.event('changed', []),
      ]
      const got = await f.alert([...inside, ...outside])
      expect(got.get('targets')).toEqual(inside)
      expect(got.get('everything')).toEqual([...inside, ...outside].sort((a, b) => a - b))
    })

    it('sees a watchlist added after the stage started (the matcher is rebuilt when the watchlists change)', async () => {
      await f.subscribe('late', { watchlists: ['late'] })
      const before = await f.event('new_source', [{ ra: 0.0005, dec: 10 }])
      expect((await f.alert([before])).get('late')).toEqual([])
      await f.objects.addWatchlist('late', [WRAP])
      const after = await f.event('new_source', [{ ra: 0.0005, dec: 10 }])
      expect((await f.alert([after])).get('late')).toEqual([after])
      await f.objects.removeWatchlist('late')
      const removed = await f.event('new_source', [{ ra: 0.0005, dec: 10 }])
      expect((await f.alert([removed])).get('late')).toEqual([])
    })
  })

  describe(`detection filters (${where})`, () => {
    let f: Fixture
    beforeEach(async () => {
      f = await fixture(setup)
    })
    afterEach(async () => {
      await f.close()
    })

    it('each criterion includes the alerts one of whose detections meets it and excludes the others', async () => {
      // An object with three detections before C's (no events of their own).
      await f.objects.associate([1, 2, 3].map(() => detection({ ra: 45, dec: -30 }, null, null)))
      const a = await f.event('new_source', [{ ra: 20, dec: 5, snr: 12, psfFlux: 2000, realBogus: 0.9 }])
      const b = await f.event('fading', [{ ra: 21, dec: 5, snr: -8, psfFlux: -800, realBogus: 0.6 }])
      const c = await f.event('brightening', [{ ra: 45, dec: -30, snr: 4, psfFlux: 300, realBogus: 0.3 }])
      const d = await f.event('changed', [])
      // Two detections: one bright but bogus, one real but faint.
      const e = await f.event('new_source', [
        { ra: 30, dec: 5, snr: 20, psfFlux: 5000, realBogus: 0.1 },
        { ra: 31, dec: 5, snr: 3, psfFlux: 100, realBogus: 0.9 },
      ])
      const cases: [string, AlertFilter, number[]][] = [
        ['snr-5', { minSnr: 5 }, [a, b, e]],
        ['snr-10', { minSnr: 10 }, [a, e]],
        ['snr-0', { minSnr: 0 }, [a, b, c, e]],
        ['flux-500', { minFlux: 500 }, [a, b, e]],
        ['flux-1000', { minFlux: 1000 }, [a, e]],
        // Zero point 26: 2000 ADU is 17.75, 800 is 18.74, 300 is 19.81, 5000 is 16.75, 100 is 21.0.
        ['mag-18', { maxMag: 18 }, [a, e]],
        ['mag-19', { maxMag: 19 }, [a, b, e]],
        ['rb-0.5', { minRealBogus: 0.5 }, [a, b, e]],
        ['rb-0.95', { minRealBogus: 0.95 }, []],
        ['history-1', { minDetections: 1 }, [c]],
        ['history-3', { minDetections: 3 }, [c]],
        ['history-4', { minDetections: 4 }, []],
        ['history-0', { minDetections: 0 }, [a, b, c, e]],
        ['fading', { eventTypes: ['fading'] }, [b]],
        ['new-or-brighter', { eventTypes: ['new_source', 'brightening'] }, [a, c, e]],
        ['pixel-diff', { eventTypes: ['changed'] }, [d]],
        ['fading-snr', { eventTypes: ['fading'], minSnr: 5 }, [b]],
        ['new-snr', { eventTypes: ['new_source'], minSnr: 5 }, [a, e]],
        // One detection must meet both: E's bright one is bogus, its real one faint.
        ['snr-and-rb', { minSnr: 10, minRealBogus: 0.5 }, [a]],
      ]
      for (const [name, filter] of cases) await f.subscribe(name, filter)
      const got = await f.alert([a, b, c, d, e])
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(cases.map(([name, , wanted]) => [name, wanted])))
    })

    it('sends no alert without detections to a detection-filtered subscription', async () => {
      await f.subscribe('any-detection', { minSnr: 0 })
      await f.subscribe('changed', { eventTypes: ['changed'] })
      const plain = await f.event('changed', [])
      const got = await f.alert([plain])
      expect(got.get('any-detection')).toEqual([])
      expect(got.get('changed')).toEqual([plain])
    })

    it("counts an object's detections before this one even when it was seen again before the alert", async () => {
      await f.subscribe('seen-before', { minDetections: 1 })
      const first = await f.event('new_source', [{ ra: 60, dec: 0 }])
      // The same object detected again (a later image) before the first event is alerted: its count is 2 now.
      const second = await f.event('brightening', [{ ra: 60, dec: 0 }])
      expect((await f.objects.objectsNear(60, 0, 1))[0]?.nDetections).toBe(2)
      const got = await f.alert([first, second])
      expect(got.get('seen-before')).toEqual([second])
    })

    it("takes the magnitude's zero point from the image's MAGZP card", async () => {
      await f.subscribe('bright', { maxMag: 20 })
      const card = (keyword: string, value: string): string => `${keyword.padEnd(8)}= ${value.padStart(20)}`.padEnd(80)
      // 1000 ADU: mag 18.5 at the default zero point 26, 22.5 at 30.
      const deep = await f.event('new_source', [{ ra: 70, dec: 0, psfFlux: 1000 }], [card('NAXIS', '2'), card('MAGZP', '30.0')].join('\n'))
      const usual = await f.event('new_source', [{ ra: 71, dec: 0, psfFlux: 1000 }], card('NAXIS', '2'))
      const got = await f.alert([deep, usual])
      expect(got.get('bright')).toEqual([usual])
    })

    it('reads no detections while no enabled subscription has a detection criterion', async () => {
      let reads = 0
      const detectionsOfEvents = f.objects.detectionsOfEvents.bind(f.objects)
      f.objects.detectionsOfEvents = (ids) => {
        reads += 1
        return detectionsOfEvents(ids)
      }
      await f.subscribe('streams', { streams: ['sky'] })
      const id = await f.subscribe('snr', { minSnr: 1 })
      await f.catalog.subscriptions.setSubscriptionEnabled(id, false)
      const first = await f.event('new_source', [{ ra: 80, dec: 0 }])
      expect((await f.alert([first])).get('streams')).toEqual([first])
      expect(reads).toBe(0)
      await f.catalog.subscriptions.setSubscriptionEnabled(id, true)
      const second = await f.event('new_source', [{ ra: 81, dec: 0 }])
      expect((await f.alert([second])).get('snr')).toEqual([second])
      expect(reads).toBe(1)
    })
  })
}
