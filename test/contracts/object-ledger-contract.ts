import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { angularDistance } from '../../src/analysis/sky-index/sky-zones.js'
import { CatalogConflictError } from '../../src/core/errors.js'
import type { DetectionInput, DiaObjectRecord, DiaSourceRecord, ObjectLedger } from '../../src/core/ports/object-ledger.js'

/** A ledger to test, a second one on the same store (another process's view) when there can be one, and cleanup. */
export interface OpenedLedger {
  ledger: ObjectLedger
  /** Another connection pool on the same database; absent where there is only one (memory, `:memory:`). */
  second?: ObjectLedger
  cleanup(): Promise<void>
}

const ARCSEC = 1 / 3600

export function detection(ra: number, dec: number, mjd: number, overrides: Partial<DetectionInput> = {}): DetectionInput {
  return {
    imageId: null,
    stream: 'cam',
    ra,
    dec,
    mjd,
    filter: 'r',
    psfFlux: 1000,
    psfFluxErr: 10,
    snr: 100,
    realBogus: 0.9,
    kind: 'new_source',
    x: 10,
    y: 20,
    ...overrides,
  }
}

/** The ObjectLedger port's behaviour, on every adapter (memory, SQLite, MariaDB, PostgreSQL). */
export function objectLedgerContract(name: string, open: () => Promise<OpenedLedger>): void {
  describe(`ObjectLedger contract: ${name}`, () => {
    let opened: OpenedLedger
    let ledger: ObjectLedger

    beforeEach(async () => {
      opened = await open()
      ledger = opened.ledger
    })

    afterEach(async () => {
      await opened.cleanup()
    })

    /** The singular reads the batch ones replace: one id through them. */
    const objectOf = async (id: number): Promise<DiaObjectRecord | null> => (await ledger.objects([id])).get(id) ?? null
    const ofEvent = async (id: number): Promise<DiaSourceRecord[]> => {
      const found = await ledger.detectionsOfEvents([id])
      expect([...found.keys()]).toEqual([id])
      return found.get(id)!
    }

    it('makes one object of two detections of a new source in one batch, at their mean position', async () => {
      const outcome = await ledger.associate([detection(150, 2, 61000.1), detection(150 + 0.4 * ARCSEC, 2, 61000.2, { psfFlux: 3000 })])
      expect(outcome.created).toBe(1)
      expect(outcome.objectIds[0]).toBe(outcome.objectIds[1])
      const object = await objectOf(outcome.objectIds[0]!)
      expect(object).not.toBeNull()
      expect(object!.nDetections).toBe(2)
      expect(object!.firstMjd).toBe(61000.1)
      expect(object!.lastMjd).toBe(61000.2)
      expect(angularDistance(object!.ra, object!.dec, 150 + 0.2 * ARCSEC, 2) * 3600).toBeLessThan(1e-6)
      expect(object!.fluxes['r']).toEqual({ n: 2, sum: 4000, sumWeight: 0.02, sumWeightedFlux: 40 })
    })

    it('joins a later detection within the radius and starts a new object beyond it', async () => {
      const [first] = (await ledger.associate([detection(10, -30, 61000)])).objectIds
      const near = await ledger.associate([detection(10, -30 + 0.8 * ARCSEC, 61001)])
      const far = await ledger.associate([detection(10, -30 + 1.6 * ARCSEC, 61002)])
      expect(near).toEqual({ objectIds: [first], created: 0 })
      expect(far.created).toBe(1)
      expect(far.objectIds[0]).not.toBe(first)
      expect((await objectOf(first!))!.nDetections).toBe(2)
      const wide = await ledger.associate([detection(10, -30 + 1.6 * ARCSEC, 61003)], { radiusArcsec: 5 })
      expect(wide.objectIds[0]).toBe(far.objectIds[0])
    })

    it('picks the nearest of two objects within the radius', async () => {
      const { objectIds } = await ledger.associate([detection(200, 45, 61000), detection(200, 45 + 1.5 * ARCSEC, 61000)])
      expect(new Set(objectIds).size).toBe(2)
      const joined = await ledger.associate([detection(200, 45 + 0.9 * ARCSEC, 61001)])
      expect(joined.objectIds).toEqual([objectIds[1]])
    })

    it('associates across RA 0/360 and at the pole', async () => {
      const wrap = await ledger.associate([detection(360 - 0.2 * ARCSEC, 0.5, 61000), detection(0.2 * ARCSEC, 0.5, 61001)])
      expect(wrap.created).toBe(1)
      const pole = await ledger.associate([detection(10, 90 - 0.3 * ARCSEC, 61000), detection(190, 90 - 0.3 * ARCSEC, 61001)])
      expect(pole.created).toBe(1)
      expect(pole.objectIds[0]).toBe(pole.objectIds[1])
    })

    it('returns an object history oldest first with every field', async () => {
      const { objectIds } = await ledger.associate([detection(80, 10, 61002, { psfFlux: 7, kind: 'fading', imageId: 42 })])
      await ledger.associate([detection(80, 10, 61001, { psfFlux: 5, filter: 'g', x: 1.5, y: 2.5 })])
      const history = await ledger.history(objectIds[0]!)
      expect(history.map((source) => [source.mjd, source.psfFlux, source.filter, source.kind])).toEqual([
        [61001, 5, 'g', 'new_source'],
        [61002, 7, 'r', 'fading'],
      ])
      expect(history[0]).toMatchObject({ x: 1.5, y: 2.5, imageId: null, snr: 100, realBogus: 0.9, psfFluxErr: 10, stream: 'cam' })
      expect(history[1]!.imageId).toBe(42)
      expect((await objectOf(objectIds[0]!))!.firstMjd).toBe(61001)
    })

    it('stores the event and the measurement of each detection and finds them by image and by event', async () => {
      const measured = {
        imageEventId: 70,
        apFlux: 1010.5,
        apFluxErr: 12.25,
        fwhm: 3.5,
        elongation: 1.25,
        nbad: 1,
        nneg: 2,
        edgeDistance: 40.5,
      }
      const batch = [
        detection(33, 12, 61000, { imageId: 7, ...measured }),
        detection(33.01, 12, 61000, { imageId: 7, ...measured, nbad: 0, kind: 'fading', psfFlux: -400 }),
        detection(33.02, 12, 61000, { imageId: 7 }),
      ]
      const { objectIds } = await ledger.associate(batch)
      await ledger.associate([detection(33.03, 12, 61001, { imageId: 8, imageEventId: 80 })])
      const ofImage = await ledger.detectionsOfImage(7)
      expect(ofImage.map(({ sourceId: _id, ...rest }) => rest)).toEqual([
        { ...batch[0], objectId: objectIds[0] },
        { ...batch[1], objectId: objectIds[1] },
        { ...batch[2], imageEventId: null, objectId: objectIds[2] },
      ])
      expect(ofImage[2]).not.toHaveProperty('apFlux')
      expect(ofImage[0]!.sourceId).toBeLessThan(ofImage[1]!.sourceId)
      expect((await ofEvent(70)).map((source) => source.sourceId)).toEqual(ofImage.slice(0, 2).map((source) => source.sourceId))
      expect((await ofEvent(80)).map((source) => source.imageId)).toEqual([8])
      expect((await ledger.history(objectIds[0]!))[0]).toMatchObject(measured)
      expect(await ledger.detectionsOfImage(9)).toEqual([])
      expect(await ofEvent(90)).toEqual([])
    })

    it('reads a batch of events in one call: the per-event lists in source-id order, empty ones for unknown events', async () => {
      // Three events whose detections interleave across batches, so an event's source ids are not contiguous.
      const round = (mjd: number, offset: number): DetectionInput[] =>
        [300, 301, 302].map((event, i) => detection(200 + i + offset * 0.01, 30, mjd, { imageEventId: event, snr: mjd - 60000 }))
      await ledger.associate([...round(61000, 0), ...round(61000, 1)])
      await ledger.associate([...round(61001, 2), detection(210, 30, 61001, { imageEventId: 303 })])
      // Over 1,000 ids, the known ones far apart so that a chunked read finds them in different statements.
      const unknown = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i)
      const ids = [300, ...unknown(10_000, 950), 301, ...unknown(20_000, 250), 302, 303, 304]
      const found = await ledger.detectionsOfEvents(ids)
      expect([...found.keys()].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b))
      for (const id of [300, 301, 302, 303, 304]) expect(found.get(id)).toEqual(await ofEvent(id))
      for (const [id, sources] of found) {
        expect(sources.every((source) => source.imageEventId === id)).toBe(true)
        const sourceIds = sources.map((source) => source.sourceId)
        expect(sourceIds).toEqual([...sourceIds].sort((a, b) => a - b))
      }
      expect(found.get(300)!.map((source) => [source.ra, source.snr])).toEqual([
        [200, 1000],
        [200.01, 1000],
        [200.02, 1001],
      ])
      expect(found.get(303)).toHaveLength(1)
      expect(found.get(304)).toEqual([])
      expect(found.get(10_500)).toEqual([])
      expect(await ledger.detectionsOfEvents([])).toEqual(new Map())
    })

    it('reads a batch of objects in one call: each as read alone, unknown ids left out', async () => {
      const { objectIds } = await ledger.associate([detection(220, 40, 61000), detection(221, 40, 61000), detection(220, 40, 61001)])
      const [a, b] = [objectIds[0]!, objectIds[1]!]
      const ids = [a, ...Array.from({ length: 1_100 }, (_, i) => 1_000_000 + i), b, a]
      const found = await ledger.objects(ids)
      expect([...found.keys()].sort((x, y) => x - y)).toEqual([a, b].sort((x, y) => x - y))
      expect(found.get(a)).toEqual(await objectOf(a))
      expect(found.get(b)).toEqual(await objectOf(b))
      expect(found.get(a)!.nDetections).toBe(2)
      expect(found.get(b)!.nDetections).toBe(1)
      expect(await ledger.objects([])).toEqual(new Map())
    })

    it('records an image’s detections once: a retried batch gets the recorded objects back and adds nothing', async () => {
      const image9 = [
        detection(60, 5, 61000, { imageId: 9 }),
        detection(60.01, 5, 61000, { imageId: 9 }),
        detection(60.02, 5, 61000, { imageId: 9 }),
      ]
      const first = await ledger.associate(image9)
      expect(first.created).toBe(3)
      expect(await ledger.associate(image9)).toEqual({ objectIds: first.objectIds, created: 0 })
      // A retry mixed with a new image: image 9's are replayed, image 10's join the objects as usual.
      const image10 = image9.map((seen) => ({ ...seen, imageId: 10, mjd: 61001 }))
      const mixed = await ledger.associate([image9[1]!, image10[0]!, image9[0]!, image10[1]!])
      expect(mixed).toEqual({ objectIds: [first.objectIds[0], first.objectIds[0], first.objectIds[1], first.objectIds[1]], created: 0 })
      expect(await ledger.detectionsOfImage(9)).toHaveLength(3)
      expect(await ledger.detectionsOfImage(10)).toHaveLength(2)
      expect((await objectOf(first.objectIds[0]!))!.nDetections).toBe(2)
      expect((await objectOf(first.objectIds[2]!))!.nDetections).toBe(1)
      // Detections without an image are never taken for a retry.
      const loose = await ledger.associate([detection(60, 5, 61002)])
      expect(loose.objectIds).toEqual([first.objectIds[0]])
      expect((await objectOf(first.objectIds[0]!))!.nDetections).toBe(3)
    })

    it('records an image once when two writers associate it at once', async () => {
      const other = opened.second ?? ledger
      const image = Array.from({ length: 25 }, (_, i) => detection(140 + i * 0.001, -20, 61000, { imageId: 12, imageEventId: 120 }))
      const outcomes = await Promise.all([ledger.associate(image), other.associate(image), ledger.associate([...image])])
      expect(outcomes[1]!.objectIds).toEqual(outcomes[0]!.objectIds)
      expect(outcomes[2]!.objectIds).toEqual(outcomes[0]!.objectIds)
      expect(outcomes.reduce((sum, outcome) => sum + outcome.created, 0)).toBe(25)
      expect(await ofEvent(120)).toHaveLength(25)
    })

    it('creates no duplicate objects when two writers associate overlapping batches at once', async () => {
      const other = opened.second ?? ledger
      // 40 new sources, each seen by both writers in batches that overlap in sky and time.
      const sources = Array.from({ length: 40 }, (_, i) => [120 + i * 0.003, -5 + (i % 7) * 0.02] as const)
      const batchA = sources.map(([ra, dec], i) => detection(ra, dec, 61000 + i * 1e-5))
      const batchB = sources.map(([ra, dec], i) => detection(ra + 0.3 * ARCSEC, dec, 61000.5 + i * 1e-5))
      const runs = await Promise.all([
        ledger.associate(batchA.slice(0, 20)),
        other.associate(batchB.slice(10).reverse()),
        ledger.associate(batchA.slice(20)),
        other.associate(batchB.slice(0, 10)),
      ])
      expect(runs.reduce((sum, run) => sum + run.created, 0)).toBe(40)
      for (const [ra, dec] of sources) {
        const near = await ledger.objectsNear(ra, dec, 2)
        expect(near).toHaveLength(1)
        expect(near[0]!.nDetections).toBe(2)
      }
    })

    it('keeps watchlists: add, list, match through the index, remove', async () => {
      const added = await ledger.addWatchlist('targets', [
        { name: 'sn-a', ra: 359.9999, dec: 20, radiusArcsec: 2 },
        { name: 'agn-b', ra: 50, dec: -60, radiusArcsec: 30 },
      ])
      await ledger.addWatchlist('other', [{ name: 'wide', ra: 50.005, dec: -60, radiusArcsec: 60 }])
      expect(added).toMatchObject({ name: 'targets', cones: 2 })
      await expect(ledger.addWatchlist('targets', [{ name: 'x', ra: 1, dec: 1, radiusArcsec: 1 }])).rejects.toBeInstanceOf(
        CatalogConflictError,
      )
      expect((await ledger.listWatchlists()).map((list) => [list.name, list.cones])).toEqual([
        ['other', 1],
        ['targets', 2],
      ])
      // Across RA 0: 0.0003° of RA at Dec 20° is 1.01″ from sn-a (inside its 2″), 0.0007° is 2.37″ (outside).
      expect((await ledger.matchWatchlists(0.0002, 20)).map((cone) => cone.name)).toEqual(['sn-a'])
      expect(await ledger.matchWatchlists(0.0006, 20)).toEqual([])
      expect((await ledger.matchWatchlists(50, -60 + 20 * ARCSEC)).map((cone) => [cone.watchlist, cone.name])).toEqual([
        ['targets', 'agn-b'],
        ['other', 'wide'],
      ])
      expect(await ledger.matchWatchlists(50, -60 + 80 * ARCSEC)).toEqual([])
      expect((await ledger.watchlistCones()).map((cone) => cone.name)).toEqual(['sn-a', 'agn-b', 'wide'])
      expect(await ledger.removeWatchlist('targets')).toBe(true)
      expect(await ledger.removeWatchlist('targets')).toBe(false)
      expect((await ledger.matchWatchlists(50, -60 + 20 * ARCSEC)).map((cone) => cone.name)).toEqual(['wide'])
    })
  })
}
