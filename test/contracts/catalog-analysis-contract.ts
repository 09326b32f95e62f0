import { beforeEach, describe, expect, it } from 'vitest'
import type { SqlCatalog } from '../../src/adapters/sql/sql-catalog.js'
import { NotFoundError } from '../../src/core/errors.js'
import type { AnalysisWrite } from '../../src/core/ports/catalog.js'
import type { AnalysisResult, NewImageEvent } from '../../src/core/types.js'
import type { OpenedCatalog } from '../support/catalog-backends.js'
import { migratedCatalogPerTest, newImage } from './catalog-fixtures.js'
import { recordOneAnalysis, setOneDifferenceKey } from '../support/catalog-writes.js'

/**
 * The analyze stage's few-statement reads and batched writes, on every adapter: part of the catalog contract
 * (catalog-contract.ts runs it), kept apart to keep each file readable.
 */
export function catalogAnalysisContract(name: string, open: () => Promise<OpenedCatalog>): void {
  describe(`Catalog contract, analysis batches: ${name}`, () => {
    const fresh = migratedCatalogPerTest(open)
    let catalog: SqlCatalog
    beforeEach(() => {
      catalog = fresh.catalog
    })

    async function stream(streamName: string, count: number): Promise<number[]> {
      const rows = await catalog.insertImages(Array.from({ length: count }, (_, index) => newImage(streamName, index + 1)))
      return rows.map((row) => row.imageId)
    }

    const at = new Date('2024-05-01T12:34:56.789Z')

    function write(imageId: number, previousImageId: number | null, event = false, l2Norm = 1234.5): AnalysisWrite {
      const result: AnalysisResult = { previousImageId, l2Norm, changedFraction: 0.25, maxAbsDifference: 200, analyzedAt: at }
      const newEvent: NewImageEvent = {
        imageId,
        differenceImageObjectKey: null,
        eventType: 'changed',
        analyzer: 'imgpipe-diff',
        analyzerVersion: '1.0.0',
      }
      return { imageId, result, event: event ? newEvent : null }
    }

    describe('getImageWithPrevious', () => {
      it('gives the image with the latest earlier image of its stream that is not failed', async () => {
        const [one, two, three] = await stream('s', 3)
        await stream('other', 3) // same numbers, another stream: never the predecessor
        expect(await catalog.getImageWithPrevious(three!)).toEqual({
          image: await catalog.getImage(three!),
          previous: await catalog.getImage(two!),
        })
        await catalog.markImageFailed(two!, 'IMGPIPE_IMAGE_INVALID', 'corrupt')
        expect((await catalog.getImageWithPrevious(three!))?.previous?.imageId).toBe(one)
        expect(await catalog.getImageWithPrevious(one!)).toEqual({ image: await catalog.getImage(one!), previous: null })
      })

      it('is null for an unknown image, and has no predecessor for an image without a number', async () => {
        await stream('default', 2)
        expect(await catalog.getImageWithPrevious(999_999)).toBeNull()
        // The original's receiving client writes rows without a number.
        await fresh.opened.executeSql("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('a.jpg', 'image/a.jpg')")
        const rows = await catalog.listUnnumberedImages('default', { limit: 10 })
        expect(rows).toHaveLength(1)
        expect(await catalog.getImageWithPrevious(rows[0]!.imageId)).toEqual({ image: rows[0], previous: null })
      })
    })

    describe('recordAnalyses', () => {
      it('stores each analysis on its own row, as a batch of one does, without events', async () => {
        const [one, two, three, four] = await stream('s', 4)
        await recordOneAnalysis(catalog, four!, write(four!, three!, false, 7).result, null)
        const expected = await catalog.getImage(four!)
        await catalog.resetForReanalysis({ failedOnly: false })
        const outcomes = await catalog.recordAnalyses([write(two!, one!, false, 3), write(four!, three!, false, 7), write(one!, null)])
        expect(outcomes).toEqual([0, 1, 2].map(() => ({ event: null, created: false })))
        expect(await catalog.getImage(four!)).toEqual(expected)
        expect(await catalog.getImage(two!)).toMatchObject({ status: 'analyzed', previousImageId: one, l2Norm: 3, analyzedAt: at })
        expect(await catalog.getImage(one!)).toMatchObject({ status: 'analyzed', previousImageId: null, changedFraction: 0.25 })
        expect(await catalog.getImage(three!)).toMatchObject({ status: 'received', analyzedAt: null })
        expect((await catalog.counts()).events).toBe(0)
        expect(await catalog.recordAnalyses([])).toEqual([])
      })

      it('inserts the events of a batch once: a second batch finds them, with the same ids', async () => {
        const [one, two, three] = await stream('s', 3)
        const batch = [write(two!, one!, true), write(one!, null), write(three!, two!, true)]
        const first = await catalog.recordAnalyses(batch)
        expect(first.map((outcome) => [outcome.event?.imageId ?? null, outcome.created])).toEqual([
          [two, true],
          [null, false],
          [three, true],
        ])
        expect(first[0]!.event).toEqual(await catalog.getEventByImageId(two!))
        expect(first[0]!.event).toMatchObject({ differenceImageObjectKey: null, eventType: 'changed', detectedAt: at })
        const again = await catalog.recordAnalyses([write(three!, two!, true), write(two!, one!, true)])
        expect(again).toEqual([
          { event: first[2]!.event, created: false },
          { event: first[0]!.event, created: false },
        ])
        expect((await catalog.counts()).events).toBe(2)
      })

      it('gives an image written by two racing batches exactly one event, created once', async () => {
        const ids = await stream('s', 6)
        const batch = (order: number[]) => order.map((index) => write(ids[index]!, index === 0 ? null : ids[index - 1]!, true))
        const [a, b] = await Promise.all([catalog.recordAnalyses(batch([1, 2, 3, 4])), catalog.recordAnalyses(batch([5, 4, 3]))])
        const created = [...a, ...b].filter((outcome) => outcome.created).map((outcome) => outcome.event!.imageId)
        expect(created.sort((x, y) => x - y)).toEqual(ids.slice(1))
        expect((await catalog.counts()).events).toBe(5)
      })

      it('fails a batch naming a missing image with NotFoundError, and leaves its events unwritten', async () => {
        const [one, two] = await stream('s', 2)
        await expect(catalog.recordAnalyses([write(two!, one!, true), write(999_999, null, true)])).rejects.toThrow(NotFoundError)
        await expect(catalog.recordAnalyses([write(999_999, null)])).rejects.toThrow(/999999/)
        expect((await catalog.counts()).events).toBe(0)
        expect(await catalog.getImage(two!)).toMatchObject({ status: 'received' })
      })
    })

    describe('setEventDifferenceKeys', () => {
      it('sets the keys still missing, keeps those already set, and returns the rows in the given order', async () => {
        const [one, two, three] = await stream('s', 3)
        const outcomes = await catalog.recordAnalyses([write(two!, one!, true), write(three!, two!, true)])
        const [a, b] = outcomes.map((outcome) => outcome.event!.imageEventId)
        await setOneDifferenceKey(catalog, b!, 'difference_image/s/first.jpg')
        const rows = await catalog.setEventDifferenceKeys([
          { imageEventId: b!, differenceImageObjectKey: 'difference_image/s/second.jpg' },
          { imageEventId: a!, differenceImageObjectKey: 'difference_image/s/a.jpg' },
        ])
        expect(rows.map((row) => [row.imageEventId, row.differenceImageObjectKey])).toEqual([
          [b, 'difference_image/s/first.jpg'],
          [a, 'difference_image/s/a.jpg'],
        ])
        expect(await catalog.getEvent(a!)).toEqual(rows[1])
        expect(await catalog.setEventDifferenceKeys([])).toEqual([])
        await expect(catalog.setEventDifferenceKeys([{ imageEventId: 999_999, differenceImageObjectKey: 'x' }])).rejects.toThrow(
          NotFoundError,
        )
      })
    })
  })
}
