import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NotFoundError } from '../../src/core/errors.js'
import type { DiffimRun, FakeRecord, NewDerivative, ReferenceKey, ScienceLedger } from '../../src/core/ports/science-ledger.js'

/** A ledger to test, a second one on the same store (another process's view) when there can be one, and cleanup. */
export interface OpenedScienceLedger {
  ledger: ScienceLedger
  /** Another connection pool on the same database; absent where there is only one (memory, `:memory:`). */
  second?: ScienceLedger
  cleanup(): Promise<void>
}

const FIELD: ReferenceKey = { stream: 'sky', field: 'F0042', filter: 'r' }
const HOUR = 3_600_000

function fake(x: number, recovered: boolean, overrides: Partial<FakeRecord> = {}): FakeRecord {
  return {
    x,
    y: x + 0.5,
    flux: 1000 + x,
    mag: 20.25,
    expectedSnr: 12.5,
    recovered,
    measuredFlux: recovered ? 990.5 + x : null,
    ...overrides,
  }
}

function run(imageId: number, referenceId: number, fakes: FakeRecord[] = [], overrides: Partial<DiffimRun> = {}): DiffimRun {
  return {
    imageId,
    referenceId,
    psfMethod: 'gaussian-kernel',
    scienceFwhm: 3.25,
    referenceFwhm: 2.5,
    noiseCorrection: 1.125,
    candidates: 7,
    detections: 4,
    seconds: 0.75,
    fakes,
    ...overrides,
  }
}

function derivative(imageEventId: number, name: string, overrides: Partial<NewDerivative> = {}): NewDerivative {
  return { imageEventId, name, objectKey: `derivative/${imageEventId}/${name}`, contentType: 'image/fits', sourceId: null, ...overrides }
}

/** The ScienceLedger port's behaviour, on every adapter (memory, SQLite, MariaDB, PostgreSQL). */
export function scienceLedgerContract(name: string, open: () => Promise<OpenedScienceLedger>): void {
  describe(`ScienceLedger contract: ${name}`, () => {
    let opened: OpenedScienceLedger
    let ledger: ScienceLedger

    beforeEach(async () => {
      opened = await open()
      ledger = opened.ledger
    })

    afterEach(async () => {
      await opened.cleanup()
    })

    /** A ready reference of a field, made through a claim. */
    async function readyReference(key: ReferenceKey, objectKey = `reference/${key.field}.fits`) {
      const claim = await ledger.claimReference(key, HOUR)
      expect(claim).not.toBeNull()
      return ledger.finishReference(claim!.referenceId, { objectKey, frames: 5, fwhm: 2.5, imageIds: [3, 4, 5, 6, 7] })
    }

    it('lists the seeded event types with their descriptions', async () => {
      const types = await ledger.eventTypes()
      expect(types.map((type) => type.name)).toEqual(['brightening', 'changed', 'fading', 'new_source', 'size_changed'])
      for (const type of types) expect(type.description.length).toBeGreaterThan(10)
    })

    it('claims a version, refuses a second claim while it is fresh, and serves it once finished', async () => {
      const before = Date.now()
      const claim = await ledger.claimReference(FIELD, HOUR)
      expect(claim).toMatchObject({ ...FIELD, version: 1, status: 'building', objectKey: null, frames: 0, fwhm: null, imageIds: [] })
      expect(claim!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5)
      expect(await ledger.claimReference(FIELD, HOUR)).toBeNull()
      expect(await ledger.latestReference(FIELD)).toBeNull() // building is not usable

      const ready = await ledger.finishReference(claim!.referenceId, {
        objectKey: 'reference/F0042-r-1.fits',
        frames: 9,
        fwhm: 2.75,
        imageIds: [11, 12, 13],
      })
      expect(ready).toEqual({
        ...claim,
        status: 'ready',
        objectKey: 'reference/F0042-r-1.fits',
        frames: 9,
        fwhm: 2.75,
        imageIds: [11, 12, 13],
      })
      expect(await ledger.latestReference(FIELD)).toEqual(ready)
      expect(await ledger.getReference(claim!.referenceId)).toEqual(ready)
      // Finishing again changes nothing: the first finish wins.
      expect(await ledger.finishReference(claim!.referenceId, { objectKey: 'other.fits', frames: 1, fwhm: 9, imageIds: [] })).toEqual(ready)

      // The next build is version 2; until it is ready, analyses keep using version 1.
      const next = await ledger.claimReference(FIELD, HOUR)
      expect(next).toMatchObject({ version: 2, status: 'building' })
      expect((await ledger.latestReference(FIELD))!.version).toBe(1)
      await ledger.finishReference(next!.referenceId, { objectKey: 'reference/F0042-r-2.fits', frames: 12, fwhm: 2.5, imageIds: [20] })
      expect(await ledger.latestReference(FIELD)).toMatchObject({ version: 2, objectKey: 'reference/F0042-r-2.fits', imageIds: [20] })
    })

    it('keeps fields, filters and streams apart and lists references in order', async () => {
      await readyReference({ stream: 'sky', field: 'F2', filter: 'r' })
      await readyReference({ stream: 'sky', field: 'F1', filter: 'g' })
      await readyReference({ stream: 'sky', field: 'F1', filter: 'r' })
      await readyReference({ stream: 'other', field: 'F1', filter: 'r' })
      expect(await ledger.latestReference({ stream: 'sky', field: 'F1', filter: 'i' })).toBeNull()
      expect(await ledger.latestReference({ stream: 'sky', field: 'F1', filter: 'g' })).toMatchObject({
        field: 'F1',
        filter: 'g',
        version: 1,
      })
      expect((await ledger.listReferences('sky')).map((reference) => `${reference.field}/${reference.filter}`)).toEqual([
        'F1/g',
        'F1/r',
        'F2/r',
      ])
      expect((await ledger.listReferences()).map((reference) => reference.stream)).toEqual(['other', 'sky', 'sky', 'sky'])
      expect(await ledger.getReference(999_999)).toBeNull()
      await expect(ledger.finishReference(999_999, { objectKey: 'x', frames: 1, fwhm: 1, imageIds: [] })).rejects.toBeInstanceOf(
        NotFoundError,
      )
    })

    it('takes over a stale claim (its builder died) and no fresh one', async () => {
      const claim = await ledger.claimReference(FIELD, HOUR)
      await sleep(30)
      expect(await ledger.claimReference(FIELD, HOUR)).toBeNull()
      const taken = await ledger.claimReference(FIELD, 10)
      expect(taken).toMatchObject({ referenceId: claim!.referenceId, version: 1, status: 'building' })
      // The take-over renewed the claim: it is fresh again for the next process.
      expect(await ledger.claimReference(FIELD, 10_000)).toBeNull()
      expect(await ledger.listReferences('sky')).toHaveLength(1)
    })

    it('gives exactly one of many simultaneous claims of a field from two connections', async () => {
      const other = opened.second ?? ledger
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? ledger : other).claimReference(FIELD, HOUR)))
      expect(claims.filter((claim) => claim !== null)).toHaveLength(1)
      expect(await ledger.listReferences('sky')).toEqual([claims.find((claim) => claim !== null)])
    })

    it('gives exactly one of two simultaneous take-overs of a stale claim', async () => {
      const other = opened.second ?? ledger
      const claim = await ledger.claimReference(FIELD, HOUR)
      await sleep(30)
      const takers = await Promise.all([
        ledger.claimReference(FIELD, 10),
        other.claimReference(FIELD, 10),
        ledger.claimReference(FIELD, 10),
      ])
      expect(takers.filter((taker) => taker !== null).map((taker) => taker!.referenceId)).toEqual([claim!.referenceId])
    })

    it('records a run with its fakes once: a repeat leaves the first as it is', async () => {
      const reference = await readyReference(FIELD)
      const before = Date.now()
      await ledger.recordDiffimRuns([run(101, reference.referenceId, [fake(10, true), fake(20, false)]), run(102, reference.referenceId)])
      await ledger.recordDiffimRuns([run(101, reference.referenceId, [fake(30, true)], { candidates: 99, psfMethod: 'other' })])
      const recorded = await ledger.getDiffimRun(101)
      expect(recorded).toEqual({
        ...run(101, reference.referenceId, [fake(10, true), fake(20, false)]),
        stream: 'sky',
        createdAt: expect.any(Date),
      })
      expect(recorded!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5)
      expect(recorded!.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 5)
      expect(await ledger.getDiffimRun(102)).toMatchObject({ imageId: 102, fakes: [] })
      expect(await ledger.getDiffimRun(103)).toBeNull()
      expect(await ledger.fakeRecoveries({})).toHaveLength(2)
    })

    it('refuses a batch with a run against an unknown reference, recording none of it', async () => {
      const reference = await readyReference(FIELD)
      await expect(ledger.recordDiffimRuns([run(201, reference.referenceId, [fake(1, true)]), run(202, 999_999)])).rejects.toBeInstanceOf(
        NotFoundError,
      )
      expect(await ledger.getDiffimRun(201)).toBeNull()
      expect(await ledger.fakeRecoveries({})).toEqual([])
    })

    it('records one run and one set of fakes when two connections record the same image at once', async () => {
      const other = opened.second ?? ledger
      const reference = await readyReference(FIELD)
      const fakes = [fake(1, true), fake(2, true), fake(3, false)]
      await Promise.all([
        ledger.recordDiffimRuns([run(301, reference.referenceId, fakes), run(302, reference.referenceId, fakes)]),
        other.recordDiffimRuns([run(301, reference.referenceId, fakes), run(302, reference.referenceId, fakes)]),
      ])
      expect((await ledger.fakeRecoveries({})).map((row) => row.imageId)).toEqual([301, 301, 301, 302, 302, 302])
    })

    it('returns the fakes of the runs that match a stream and a start time', async () => {
      const sky = await readyReference(FIELD)
      const other = await readyReference({ stream: 'other', field: 'F1', filter: 'g' })
      await ledger.recordDiffimRuns([
        run(401, sky.referenceId, [fake(1, true), fake(2, false)]),
        run(402, other.referenceId, [fake(3, true)]),
      ])
      await sleep(30)
      const since = new Date()
      await sleep(5)
      await ledger.recordDiffimRuns([run(403, sky.referenceId, [fake(4, false, { mag: 22.5, expectedSnr: 4.25 })])])

      expect(await ledger.fakeRecoveries({})).toEqual([
        { ...fake(1, true), imageId: 401, stream: 'sky' },
        { ...fake(2, false), imageId: 401, stream: 'sky' },
        { ...fake(3, true), imageId: 402, stream: 'other' },
        { ...fake(4, false, { mag: 22.5, expectedSnr: 4.25 }), imageId: 403, stream: 'sky' },
      ])
      expect((await ledger.fakeRecoveries({ stream: 'sky' })).map((row) => row.x)).toEqual([1, 2, 4])
      expect((await ledger.fakeRecoveries({ stream: 'other' })).map((row) => row.x)).toEqual([3])
      expect((await ledger.fakeRecoveries({ since })).map((row) => row.imageId)).toEqual([403])
      expect(await ledger.fakeRecoveries({ stream: 'other', since })).toEqual([])
      expect(await ledger.fakeRecoveries({ stream: 'nobody' })).toEqual([])
    })

    it('records derivatives once per (event, name) and lists an event’s by name', async () => {
      await ledger.recordDerivatives([
        derivative(7, 'stamp-1-science.fits', { sourceId: 31 }),
        derivative(7, 'difference.fits'),
        derivative(7, 'stamp-1-science.png', { contentType: 'image/png', sourceId: 31 }),
        derivative(8, 'difference.fits'),
      ])
      await ledger.recordDerivatives([
        derivative(7, 'difference.fits', { objectKey: 'elsewhere.fits', contentType: 'application/octet-stream' }),
        derivative(7, 'noise.fits'),
      ])
      const listed = await ledger.listDerivatives(7)
      expect(listed.map(({ derivativeId: _id, ...rest }) => rest)).toEqual([
        derivative(7, 'difference.fits'),
        derivative(7, 'noise.fits'),
        derivative(7, 'stamp-1-science.fits', { sourceId: 31 }),
        derivative(7, 'stamp-1-science.png', { contentType: 'image/png', sourceId: 31 }),
      ])
      expect(new Set(listed.map((row) => row.derivativeId)).size).toBe(4)
      expect((await ledger.listDerivatives(8)).map((row) => row.objectKey)).toEqual(['derivative/8/difference.fits'])
      expect(await ledger.listDerivatives(9)).toEqual([])
    })

    it('records one derivative when two connections record the same one at once', async () => {
      const other = opened.second ?? ledger
      const batch = Array.from({ length: 30 }, (_, i) => derivative(11, `stamp-${i}-difference.fits`, { sourceId: i }))
      await Promise.all([ledger.recordDerivatives(batch), other.recordDerivatives([...batch].reverse()), ledger.recordDerivatives(batch)])
      expect(await ledger.listDerivatives(11)).toHaveLength(30)
    })
  })
}
