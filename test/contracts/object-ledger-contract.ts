import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { angularDistance } from '../../src/analysis/sky-index/sky-zones.js'
import { CatalogConflictError } from '../../src/core/errors.js'
import type { DetectionInput, ObjectLedger } from '../../src/core/ports/object-ledger.js'

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

    it('makes one object of two detections of a new source in one batch, at their mean position', async () => {
      const outcome = await ledger.associate([detection(150, 2, 61000.1), detection(150 + 0.4 * ARCSEC, 2, 61000.2, { psfFlux: 3000 })])
      expect(outcome.created).toBe(1)
      expect(outcome.objectIds[0]).toBe(outcome.objectIds[1])
      const object = await ledger.object(outcome.objectIds[0]!)
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
      expect((await ledger.object(first!))!.nDetections).toBe(2)
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
      expect((await ledger.object(objectIds[0]!))!.firstMjd).toBe(61001)
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
