import { describe, expect, it } from 'vitest'
import type { OpenedCatalog } from '../support/catalog-backends.js'
import { migratedCatalogPerTest, newImage } from './catalog-fixtures.js'
import { insertOneAlert, insertOneImage, recordOneAnalysis } from '../support/catalog-writes.js'

/** The viewer's index reads: streams with their counts and newest images, and alerts filtered by stream and time. */
export function catalogViewerContract(name: string, open: () => Promise<OpenedCatalog>): void {
  describe(`Catalog viewer reads: ${name}`, () => {
    const fresh = migratedCatalogPerTest(open)

    /** Images 1..count of a stream; those in `events` get an event and an alert, those in `failed` fail. */
    async function stream(streamName: string, count: number, events: number[], failed: number[] = []): Promise<number[]> {
      const { catalog } = fresh
      const alerts: number[] = []
      for (let imageNum = 1; imageNum <= count; imageNum += 1) {
        const overrides = failed.includes(imageNum)
          ? { status: 'failed' as const, errorCode: 'IMGPIPE_DECODE', errorMessage: 'not an image' }
          : {}
        const { image } = await insertOneImage(catalog, newImage(streamName, imageNum, overrides))
        if (failed.includes(imageNum)) continue
        const result = { previousImageId: null, l2Norm: 1, changedFraction: 0.5, maxAbsDifference: 9, analyzedAt: new Date() }
        const event = events.includes(imageNum)
          ? {
              imageId: image.imageId,
              differenceImageObjectKey: `d/${streamName}/${imageNum}`,
              eventType: 'changed' as const,
              analyzer: 'test',
              analyzerVersion: '0',
            }
          : null
        const recorded = await recordOneAnalysis(catalog, image.imageId, result, event)
        if (recorded.event !== null) alerts.push((await insertOneAlert(catalog, recorded.event.imageEventId)).alert.imageEventAlertId)
      }
      return alerts
    }

    it('lists streams by name with counts, last number and newest images, paged and by prefix', async () => {
      const { catalog } = fresh
      await stream('cam_1', 5, [2, 4], [3])
      await stream('cam-2', 2, [])
      await stream('door', 1, [1])
      const all = await catalog.listStreamSummaries({ limit: 10, recentImages: 3 })
      expect(all.map((row) => [row.stream, row.images, row.failed, row.events, row.alerts, row.lastImageNum])).toEqual([
        ['cam-2', 2, 0, 0, 0, 2],
        ['cam_1', 5, 1, 2, 2, 5],
        ['door', 1, 0, 1, 1, 1],
      ])
      expect(all[1]?.lastReceivedAt).toBeInstanceOf(Date)
      expect(all[1]?.recent).toEqual([
        { imageNum: 3, failed: true, event: false },
        { imageNum: 4, failed: false, event: true },
        { imageNum: 5, failed: false, event: false },
      ])
      const page = await catalog.listStreamSummaries({ limit: 1, afterStream: 'cam-2', recentImages: 0 })
      expect(page.map((row) => [row.stream, row.recent])).toEqual([['cam_1', []]])
      // "_" is a name character here, not a wildcard.
      expect((await catalog.listStreamSummaries({ limit: 10, prefix: 'cam_', recentImages: 0 })).map((row) => row.stream)).toEqual([
        'cam_1',
      ])
      expect((await catalog.listStreamSummaries({ limit: 10, prefix: 'cam', recentImages: 0 })).map((row) => row.stream)).toEqual([
        'cam-2',
        'cam_1',
      ])
      const later = new Date(Date.now() + 3_600_000)
      expect(await catalog.listStreamSummaries({ limit: 10, since: later, recentImages: 2 })).toEqual([])
      expect(await catalog.listStreamSummaries({ limit: 10, until: new Date(Date.now() - 3_600_000), recentImages: 2 })).toEqual([])
      expect((await catalog.listStreamSummaries({ limit: 10, until: later, recentImages: 0 })).length).toBe(3)
    })

    it('lists alert views of one stream or one time range', async () => {
      const { catalog } = fresh
      const camAlerts = await stream('cam', 4, [2, 3])
      const doorAlerts = await stream('door', 2, [2])
      const byStream = await catalog.listAlertViews({ limit: 10, stream: 'cam' })
      expect(byStream.map((view) => view.alert.imageEventAlertId)).toEqual([...camAlerts].reverse())
      expect(byStream.every((view) => view.image.stream === 'cam')).toBe(true)
      expect((await catalog.listAlertViews({ limit: 10, stream: 'door' })).map((view) => view.alert.imageEventAlertId)).toEqual(doorAlerts)
      expect(await catalog.listAlertViews({ limit: 10, stream: 'none' })).toEqual([])
      const hour = 3_600_000
      expect(await catalog.listAlertViews({ limit: 10, since: new Date(Date.now() + hour) })).toEqual([])
      expect(await catalog.listAlertViews({ limit: 10, until: new Date(Date.now() - hour) })).toEqual([])
      const ranged = await catalog.listAlertViews({
        limit: 1,
        stream: 'cam',
        since: new Date(Date.now() - hour),
        until: new Date(Date.now() + hour),
      })
      expect(ranged.map((view) => view.alert.imageEventAlertId)).toEqual([camAlerts[1]])
    })
  })
}
