import { beforeEach, describe, expect, it } from 'vitest'
import type { SqlCatalog } from '../../src/adapters/sql/sql-catalog.js'
import { NotFoundError } from '../../src/core/errors.js'
import type { OpenedCatalog } from '../support/catalog-backends.js'
import { migratedCatalogPerTest, newImage, sha256 } from './catalog-fixtures.js'
import { insertOneImage } from '../support/catalog-writes.js'

/**
 * The catalog's writes for a window of images (the receive stage's batch path), on every adapter: part of the
 * catalog contract (catalog-contract.ts runs it), kept apart to keep each file readable.
 */
export function catalogWindowContract(name: string, open: () => Promise<OpenedCatalog>): void {
  describe(`Catalog contract, window writes: ${name}`, () => {
    const fresh = migratedCatalogPerTest(open)
    let catalog: SqlCatalog
    beforeEach(() => {
      catalog = fresh.catalog
    })

    it('inserts a window of images in its order and returns each stored row', async () => {
      const window = [newImage('s', 1, { status: 'storing' }), newImage('t', 1), newImage('s', 2, { status: 'storing' })]
      const rows = await catalog.insertImages(window)
      expect(rows.map((row) => [row.stream, row.imageNum, row.status])).toEqual([
        ['s', 1, 'storing'],
        ['t', 1, 'received'],
        ['s', 2, 'storing'],
      ])
      expect(rows[0]!.imageId).toBeLessThan(rows[1]!.imageId)
      expect(rows[1]!.imageId).toBeLessThan(rows[2]!.imageId)
      expect(await catalog.getImage(rows[2]!.imageId)).toEqual(rows[2])
      expect(await catalog.insertImages([])).toEqual([])
    })

    it('returns the row already on a taken number unchanged, and inserts the free ones', async () => {
      const { image: taken } = await insertOneImage(catalog, newImage('s', 2, { imageFilename: 'first.jpg' }))
      const rows = await catalog.insertImages([1, 2, 3].map((imageNum) => newImage('s', imageNum, { imageFilename: 'second.jpg' })))
      expect(rows[1]).toEqual(taken)
      expect(rows.map((row) => row.imageFilename)).toEqual(['second.jpg', 'first.jpg', 'second.jpg'])
      expect((await catalog.tableCounts()).image_metadata).toBe(3)
    })

    it('gives each number to exactly one of two racing overlapping windows', async () => {
      const window = (writer: string, from: number): ReturnType<typeof newImage>[] =>
        Array.from({ length: 20 }, (_, offset) =>
          newImage('race', from + offset, { contentSha256: sha256(`${writer}/${from + offset}`), status: 'storing' }),
        )
      const [a, b] = await Promise.all([catalog.insertImages(window('a', 1)), catalog.insertImages(window('b', 11))])
      expect((await catalog.tableCounts()).image_metadata).toBe(30)
      // Where the windows overlap, both callers see the same row: the winner's.
      for (let imageNum = 11; imageNum <= 20; imageNum += 1) expect(a[imageNum - 1]).toEqual(b[imageNum - 11])
      const stored = await catalog.listImagesByStatus('storing', { limit: 100 })
      expect(new Set(stored.map((row) => row.imageNum)).size).toBe(30)
    })

    it('ends the storing state of many images at once, leaving finished ones as they are', async () => {
      const rows = await catalog.insertImages([1, 2, 3].map((imageNum) => newImage('s', imageNum, { status: 'storing' })))
      const [one, two, three] = rows.map((row) => row.imageId) as [number, number, number]
      await catalog.finishStoringImages([two], 'failed')
      const finished = await catalog.finishStoringImages([three, one, two], 'received')
      expect(finished.map((row) => [row.imageId, row.status])).toEqual([
        [three, 'received'],
        [one, 'received'],
        [two, 'failed'],
      ])
      expect(await catalog.finishStoringImages([], 'received')).toEqual([])
      await expect(catalog.finishStoringImages([999_999], 'received')).rejects.toBeInstanceOf(NotFoundError)
    })

    it('finds already ingested images by exact stream, content hash and file name', async () => {
      const { image } = await insertOneImage(catalog, newImage('s', 1, { imageFilename: 'bear.jpg' }))
      const { image: other } = await insertOneImage(catalog, newImage('s', 2, { imageFilename: 'cat.jpg' }))
      const hash = image.contentSha256!
      const find = (stream: string, contentSha256: string, imageFilename: string): ReturnType<SqlCatalog['findIngestedImages']> =>
        catalog.findIngestedImages([{ stream, contentSha256, imageFilename }])
      expect(await find('s', hash, 'bear.jpg')).toEqual([image])
      expect(await find('t', hash, 'bear.jpg')).toEqual([])
      expect(await find('s', hash, 'BEAR.jpg')).toEqual([])
      expect(await find('s', hash, 'bear.jpg ')).toEqual([])
      expect(await find('s', sha256('other'), 'bear.jpg')).toEqual([])
      const both = await catalog.findIngestedImages([
        { stream: 's', contentSha256: other.contentSha256!, imageFilename: 'cat.jpg' },
        { stream: 's', contentSha256: hash, imageFilename: 'bear.jpg' },
        { stream: 's', contentSha256: hash, imageFilename: 'cat.jpg' },
      ])
      expect(both).toEqual([image, other])
      expect(await catalog.findIngestedImages([])).toEqual([])
    })
  })
}
