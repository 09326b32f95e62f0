import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { catalogMigrations } from '../../src/adapters/sql/catalog-migrations.js'
import type { SqlCatalog } from '../../src/adapters/sql/sql-catalog.js'
import { DELIVERY_TABLES_CHILDREN_FIRST } from '../../src/adapters/sql/subscription-schema.js'
import { OBJECT_TABLES_CHILDREN_FIRST } from '../../src/adapters/sql/object-schema.js'
import { SCIENCE_TABLES_CHILDREN_FIRST } from '../../src/adapters/sql/science-schema.js'
import { CatalogConflictError, CatalogUnavailableError, ClosedError, NotFoundError } from '../../src/core/errors.js'
import type { AlertRecord, AnalysisResult, EventType, NewImageEvent } from '../../src/core/types.js'
import type { OpenedCatalog } from '../support/catalog-backends.js'
import { newImage } from './catalog-fixtures.js'
import { catalogAnalysisContract } from './catalog-analysis-contract.js'
import { catalogObservationContract } from './catalog-observation-contract.js'
import { catalogViewerContract } from './catalog-viewer-contract.js'
import { catalogWindowContract } from './catalog-window-contract.js'
import { insertOneAlert, insertOneImage, recordOneAnalysis } from '../support/catalog-writes.js'

export type { OpenedCatalog }

function analysis(previousImageId: number | null, analyzedAt = new Date()): AnalysisResult {
  return { previousImageId, l2Norm: 1234.5, changedFraction: 0.25, maxAbsDifference: 200, analyzedAt }
}

function newEvent(imageId: number, stream = 's', imageNum = 2): NewImageEvent {
  return {
    imageId,
    differenceImageObjectKey: `difference_image/${stream}/image_${String(imageNum).padStart(5, '0')}.jpg`,
    eventType: 'changed',
    analyzer: 'imgpipe-diff',
    analyzerVersion: '1.0.0',
  }
}

/** Error of a rejected promise, to assert on its class and fields. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

/**
 * The behaviour every Catalog adapter must show, run against each of them (SQLite file and memory,
 * MariaDB/MySQL, PostgreSQL). `open` gives a fresh, empty, not yet migrated catalog in a database of
 * its own; `cleanup` closes it and drops that database.
 */
export function catalogContract(name: string, open: () => Promise<OpenedCatalog>): void {
  catalogWindowContract(name, open)
  catalogAnalysisContract(name, open)
  catalogViewerContract(name, open)
  catalogObservationContract(name, open)
  describe(`Catalog contract: ${name}`, () => {
    let opened: OpenedCatalog
    let catalog: SqlCatalog

    beforeEach(async () => {
      opened = await open()
      catalog = opened.catalog
      await catalog.migrate()
    })

    afterEach(async () => {
      await opened.cleanup()
    })

    /** An alert row, read through the one alert query the port has (the catalog needs no other). */
    async function getAlert(imageEventAlertId: number): Promise<AlertRecord | null> {
      return (await catalog.getAlertView(imageEventAlertId))?.alert ?? null
    }

    /** Images 1..n of a stream, optionally analysed in order (each against its predecessor). */
    async function stream(streamName: string, count: number): Promise<number[]> {
      const ids: number[] = []
      for (let imageNum = 1; imageNum <= count; imageNum += 1) {
        ids.push((await insertOneImage(catalog, newImage(streamName, imageNum))).image.imageId)
      }
      return ids
    }

    /** image 1 and image 2 of stream s, image 2 analysed with an event and an alert. */
    async function alertChain(streamName = 's'): Promise<{ first: number; second: number; eventId: number; alertId: number }> {
      const [first, second] = (await stream(streamName, 2)) as [number, number]
      await recordOneAnalysis(catalog, first, analysis(null), null)
      const { event } = await recordOneAnalysis(catalog, second, analysis(first), newEvent(second, streamName, 2))
      const { alert } = await insertOneAlert(catalog, event!.imageEventId)
      return { first, second, eventId: event!.imageEventId, alertId: alert.imageEventAlertId }
    }

    describe('schema', () => {
      it('migrates to three empty tables, again without harm, and answers ping', async () => {
        await catalog.migrate()
        await catalog.ping()
        expect(await catalog.tableCounts()).toEqual({ image_metadata: 0, image_event: 0, image_event_alert: 0 })
        expect(catalog.description).toMatch(/^(sqlite:|mysql:\/\/|postgres:\/\/)/)
        expect(catalog.description).not.toMatch(/:[^/@]*@/) // no user:password@
      })

      it('survives concurrent migrate() calls on a fresh database, also from a second catalog', async () => {
        // Back to an empty database: no tables, no migration history.
        for (const table of [
          ...SCIENCE_TABLES_CHILDREN_FIRST,
          ...OBJECT_TABLES_CHILDREN_FIRST,
          ...DELIVERY_TABLES_CHILDREN_FIRST,
          'image_event_alert',
          'image_event',
          'image_metadata',
          'imgpipe_migration',
          'imgpipe_migration_lock',
        ]) {
          await opened.executeSql(`DROP TABLE ${table}`)
        }
        const other = opened.reopen?.()
        try {
          await Promise.all([catalog.migrate(), catalog.migrate(), other?.migrate()])
          const history = await opened.executeSql('SELECT name FROM imgpipe_migration')
          expect(history.map((row) => row['name'])).toEqual(Object.keys(catalogMigrations(catalog.dialect)))
          await insertOneImage(catalog, newImage('s', 1))
          expect((await catalog.tableCounts()).image_metadata).toBe(1)
        } finally {
          await other?.close()
        }
      })

      it("accepts the original's plain INSERT with two columns and fills the defaults", async () => {
        const before = Date.now()
        await opened.executeSql("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('a.jpg', 'image/a.jpg')")
        await opened.executeSql("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('b.jpg', 'image/b.jpg')")
        const [row] = await catalog.tableRows('image_metadata', { limit: 1 })
        const image = await catalog.getImage(Number(row?.['image_id']))
        expect(image).toMatchObject({
          imageFilename: 'a.jpg',
          imageObjectKey: 'image/a.jpg',
          stream: 'default',
          imageNum: null,
          status: 'received',
        })
        // The column default is the server's clock: allow a little skew, but it must be a real, recent UTC time.
        expect(Math.abs(image!.receivedAt.getTime() - before)).toBeLessThan(60_000)
        expect((await catalog.tableCounts()).image_metadata).toBe(2)
      })

      it('enforces foreign keys', async () => {
        const error = await failure(
          opened.executeSql("INSERT INTO image_event (image_id, difference_image_object_key) VALUES (424242, 'difference_image/x.jpg')"),
        )
        expect(error).toBeInstanceOf(CatalogConflictError)
        expect(await failure(insertOneAlert(catalog, 424242))).toBeInstanceOf(CatalogConflictError)
        expect(await catalog.tableCounts()).toEqual({ image_metadata: 0, image_event: 0, image_event_alert: 0 })
      })

      it('empties the tables but keeps the schema; reset drops and recreates it', async () => {
        await alertChain()
        await catalog.emptyTables()
        expect(await catalog.tableCounts()).toEqual({ image_metadata: 0, image_event: 0, image_event_alert: 0 })
        await alertChain()
        await catalog.reset()
        expect(await catalog.tableCounts()).toEqual({ image_metadata: 0, image_event: 0, image_event_alert: 0 })
        const { image } = await insertOneImage(catalog, newImage('s', 1))
        expect(image.imageId).toBe(1) // recreated tables number from 1 again
      })

      it('reports a missing table as a non-retryable error that says to migrate', async () => {
        // Its receivers reference it: they go first.
        await opened.executeSql('DROP TABLE image_event_alert_receiver')
        await opened.executeSql('DROP TABLE image_event_alert')
        const error = await failure(getAlert(1))
        expect(error).toBeInstanceOf(CatalogUnavailableError)
        expect((error as CatalogUnavailableError).canRetry).toBe(false)
        expect((error as Error).message).toMatch(/migrate/)
        await catalog.reset()
        expect(await getAlert(1)).toBeNull()
      })

      it('throws ClosedError after close, and close is idempotent', async () => {
        await catalog.close()
        await catalog.close()
        expect(await failure(catalog.getImage(1))).toBeInstanceOf(ClosedError)
      })
    })

    describe('images', () => {
      it('stores every field of a new image and reads it back identically', async () => {
        const before = Date.now()
        const input = newImage('cam-1', 1, { imageFilename: 'Bär 🐻 ünïcode.png', format: 'png' })
        const { image } = await insertOneImage(catalog, input)
        expect((await catalog.tableCounts()).image_metadata).toBe(1)
        expect(image).toMatchObject({
          stream: 'cam-1',
          imageNum: 1,
          imageFilename: 'Bär 🐻 ünïcode.png',
          imageObjectKey: 'image/cam-1/image_00001.jpg',
          contentSha256: input.contentSha256,
          byteSize: 1001,
          width: 640,
          height: 480,
          format: 'png',
          status: 'received',
          errorCode: null,
          errorMessage: null,
          analyzedAt: null,
          previousImageId: null,
          l2Norm: null,
          changedFraction: null,
          maxAbsDifference: null,
        })
        expect(image.receivedAt.getTime()).toBeGreaterThanOrEqual(before)
        expect(image.receivedAt.getTime()).toBeLessThanOrEqual(Date.now())
        expect(await catalog.getImage(image.imageId)).toEqual(image)
        expect(await catalog.getImage(image.imageId + 1000)).toBeNull()
      })

      it('is idempotent on (stream, image_num): a repeat returns the stored row, not its own', async () => {
        const first = await insertOneImage(catalog, newImage('s', 1))
        const again = await insertOneImage(catalog, newImage('s', 1, { imageFilename: 'other.jpg', byteSize: 1 }))
        expect(again.image.imageFilename).toBe(first.image.imageFilename)
        expect(again.image).toEqual(first.image)
        const other = await insertOneImage(catalog, newImage('t', 1))
        expect(other.image.imageId).not.toBe(first.image.imageId)
        expect(other.image.stream).toBe('t')
        expect((await catalog.tableCounts()).image_metadata).toBe(2)
      })

      it('lets exactly one of racing identical inserts create the row', async () => {
        // Different files on one number, as racing receivers claim it: one wins, every writer reads the winner's row.
        const names = Array.from({ length: 6 }, (_, index) => `racer-${index}.jpg`)
        const results = await Promise.all(names.map((imageFilename) => insertOneImage(catalog, newImage('race', 7, { imageFilename }))))
        expect(names).toContain(results[0]!.image.imageFilename)
        expect(new Set(results.map((result) => result.image.imageFilename)).size).toBe(1)
        expect(new Set(results.map((result) => result.image.imageId)).size).toBe(1)
        expect((await catalog.tableCounts()).image_metadata).toBe(1)
      })

      it('numbers images per stream', async () => {
        expect(await catalog.nextImageNum('s')).toBe(1)
        await insertOneImage(catalog, newImage('s', 1))
        await insertOneImage(catalog, newImage('s', 5))
        await insertOneImage(catalog, newImage('t', 9))
        expect(await catalog.nextImageNum('s')).toBe(6)
        expect(await catalog.nextImageNum('t')).toBe(10)
        expect(await catalog.nextImageNum('u')).toBe(1)
      })

      it('finds the previous image: latest lower image_num of the stream that did not fail', async () => {
        const [one, two, three] = (await stream('s', 3)) as [number, number, number]
        await stream('t', 4)
        expect(await catalog.findPreviousImage('s', 1)).toBeNull()
        expect((await catalog.findPreviousImage('s', 3))?.imageId).toBe(two)
        expect((await catalog.findPreviousImage('s', 99))?.imageId).toBe(three)
        await catalog.markImageFailed(two, 'IMGPIPE_IMAGE_INVALID', 'truncated JPEG')
        expect((await catalog.findPreviousImage('s', 3))?.imageId).toBe(one)
        await insertOneImage(catalog, newImage('s', 4, { status: 'failed', errorCode: 'IMGPIPE_IMAGE_INVALID', errorMessage: 'empty' }))
        expect((await catalog.findPreviousImage('s', 5))?.imageId).toBe(three)
      })

      it('keeps failed images with their code and message (truncated to the column), and lists by status', async () => {
        const { image: failed } = await insertOneImage(
          catalog,
          newImage('s', 1, {
            status: 'failed',
            errorCode: 'IMGPIPE_IMAGE_TOO_LARGE',
            errorMessage: 'x'.repeat(3000),
            width: null,
            height: null,
            format: null,
          }),
        )
        expect(failed).toMatchObject({ status: 'failed', errorCode: 'IMGPIPE_IMAGE_TOO_LARGE', width: null, format: null })
        expect(failed.errorMessage).toHaveLength(1024)
        const [second] = (await Promise.all([insertOneImage(catalog, newImage('s', 2))])).map((result) => result.image.imageId)
        await catalog.markImageFailed(second!, 'IMGPIPE_IMAGE_INVALID', 'not an image')
        await catalog.markImageFailed(second!, 'IMGPIPE_IMAGE_INVALID', 'not an image') // same values again
        expect(await catalog.getImage(second!)).toMatchObject({
          status: 'failed',
          errorCode: 'IMGPIPE_IMAGE_INVALID',
          errorMessage: 'not an image',
        })
        expect(await failure(catalog.markImageFailed(999_999, 'X', 'y'))).toBeInstanceOf(NotFoundError)
        expect((await catalog.listImagesByStatus('failed', { limit: 10 })).map((image) => image.imageNum)).toEqual([1, 2])
        expect(await catalog.listImagesByStatus('received', { limit: 10 })).toEqual([])
      })

      it('pages images by status in ascending id order', async () => {
        const ids = await stream('s', 5)
        const page1 = await catalog.listImagesByStatus('received', { limit: 2 })
        const page2 = await catalog.listImagesByStatus('received', { limit: 2, afterId: page1.at(-1)!.imageId })
        const page3 = await catalog.listImagesByStatus('received', { limit: 2, afterId: page2.at(-1)!.imageId })
        expect([...page1, ...page2, ...page3].map((image) => image.imageId)).toEqual(ids)
        expect(page3).toHaveLength(1)
      })
    })

    describe('analysis and events', () => {
      it('stores the analysis on the image, without an event', async () => {
        const [first, second] = (await stream('s', 2)) as [number, number]
        const at = new Date('2024-02-29T23:59:59.987Z')
        const result = await recordOneAnalysis(catalog, second, { ...analysis(first), analyzedAt: at }, null)
        expect(result).toEqual({ event: null, created: false })
        expect(await catalog.getImage(second)).toMatchObject({
          status: 'analyzed',
          previousImageId: first,
          l2Norm: 1234.5,
          changedFraction: 0.25,
          maxAbsDifference: 200,
          analyzedAt: at,
        })
        expect((await catalog.getImage(second))!.analyzedAt!.toISOString()).toBe('2024-02-29T23:59:59.987Z')
      })

      it('inserts the event once, in the same transaction as the analysis', async () => {
        const [first, second] = (await stream('s', 2)) as [number, number]
        const at = new Date('2025-06-01T12:34:56.789Z')
        const created = await recordOneAnalysis(catalog, second, analysis(first, at), newEvent(second))
        expect(created.created).toBe(true)
        expect(created.event).toMatchObject({
          imageId: second,
          differenceImageObjectKey: 'difference_image/s/image_00002.jpg',
          eventType: 'changed',
          analyzer: 'imgpipe-diff',
          analyzerVersion: '1.0.0',
          detectedAt: at,
        })
        const again = await recordOneAnalysis(catalog, second, analysis(first, at), newEvent(second))
        expect(again).toEqual({ event: created.event, created: false })
        // Without an event, the batch does not look the existing one up (a write of its own), and keeps it.
        expect(await recordOneAnalysis(catalog, second, analysis(first), null)).toEqual({ event: null, created: false })
        expect((await catalog.tableCounts()).image_event).toBe(1)
        expect(await catalog.getEvent(created.event!.imageEventId)).toEqual(created.event)
        expect(await catalog.getEventByImageId(second)).toEqual(created.event)
        expect(await catalog.getEventByImageId(first)).toBeNull()
        expect(await catalog.getEvent(999_999)).toBeNull()
        expect((await catalog.tableCounts()).image_event).toBe(1)
      })

      it('lets exactly one of racing analyses of an image create its event', async () => {
        const [first, second] = (await stream('s', 2)) as [number, number]
        const results = await Promise.all(
          Array.from({ length: 5 }, () => recordOneAnalysis(catalog, second, analysis(first), newEvent(second))),
        )
        expect(results.filter((result) => result.created)).toHaveLength(1)
        expect(new Set(results.map((result) => result.event?.imageEventId)).size).toBe(1)
        expect((await catalog.tableCounts()).image_event).toBe(1)
      })

      it('rolls the analysis back when the event cannot be written', async () => {
        const [first, second] = (await stream('s', 2)) as [number, number]
        const broken = { ...newEvent(second), eventType: null as unknown as EventType }
        expect(await failure(recordOneAnalysis(catalog, second, analysis(first), broken))).toBeInstanceOf(CatalogConflictError)
        expect(await catalog.getImage(second)).toMatchObject({ status: 'received', analyzedAt: null, previousImageId: null })
        expect((await catalog.tableCounts()).image_event).toBe(0)
      })

      it('rejects an analysis of an unknown image or naming an unknown previous image', async () => {
        expect(await failure(recordOneAnalysis(catalog, 999_999, analysis(null), newEvent(999_999)))).toBeInstanceOf(NotFoundError)
        const [only] = (await stream('s', 1)) as [number]
        expect(await failure(recordOneAnalysis(catalog, only, analysis(888_888), null))).toBeInstanceOf(CatalogConflictError)
        expect(await catalog.tableCounts()).toEqual({ image_metadata: 1, image_event: 0, image_event_alert: 0 })
      })

      it('lists events without an alert, ascending and paged', async () => {
        const ids = await stream('s', 4)
        const events: number[] = []
        for (const id of ids.slice(1))
          events.push((await recordOneAnalysis(catalog, id, analysis(null), newEvent(id)))!.event!.imageEventId)
        await insertOneAlert(catalog, events[1]!)
        const page1 = await catalog.listEventsWithoutAlert({ limit: 1 })
        const page2 = await catalog.listEventsWithoutAlert({ limit: 5, afterId: page1[0]!.imageEventId })
        expect([...page1, ...page2].map((event) => event.imageEventId)).toEqual([events[0], events[2]])
      })
    })

    describe('alerts', () => {
      it('inserts one alert per event, idempotently, also under a race', async () => {
        const { eventId, alertId } = await alertChain()
        const alert = await getAlert(alertId)
        expect(alert).toMatchObject({ imageEventAlertId: alertId, imageEventId: eventId, deliveredAt: null, deliveryChannels: null })
        expect(await insertOneAlert(catalog, eventId)).toEqual({ alert, created: false })
        const [, second] = (await stream('r', 2)) as [number, number]
        const { event } = await recordOneAnalysis(catalog, second, analysis(null), newEvent(second, 'r'))
        const results = await Promise.all(Array.from({ length: 5 }, () => insertOneAlert(catalog, event!.imageEventId)))
        expect(results.filter((result) => result.created)).toHaveLength(1)
        expect(new Set(results.map((result) => result.alert.imageEventAlertId)).size).toBe(1)
        expect((await catalog.tableCounts()).image_event_alert).toBe(2)
        expect(await getAlert(999_999)).toBeNull()
      })

      it('marks an alert delivered with its channels, to the millisecond', async () => {
        const { alertId } = await alertChain()
        expect((await catalog.listUndeliveredAlerts({ limit: 10 })).map((alert) => alert.imageEventAlertId)).toEqual([alertId])
        const at = new Date('2026-01-02T03:04:05.006Z')
        await catalog.markAlertsDelivered([alertId], ['log', 'webhook'], at)
        await catalog.markAlertsDelivered([alertId], ['log', 'webhook'], at) // same values again
        const alert = await getAlert(alertId)
        expect(alert?.deliveredAt?.toISOString()).toBe('2026-01-02T03:04:05.006Z')
        expect(alert?.deliveryChannels).toBe('log,webhook')
        expect(await catalog.listUndeliveredAlerts({ limit: 10 })).toEqual([])
        expect(await failure(catalog.markAlertsDelivered([999_999], ['log'], at))).toBeInstanceOf(NotFoundError)
      })
    })

    describe('alert batches', () => {
      /** `count` events, each on image n of stream `streamName` (analysed, with a difference image key). */
      async function events(streamName: string, count: number): Promise<number[]> {
        const ids: number[] = []
        for (const imageId of await stream(streamName, count)) {
          const { event } = await recordOneAnalysis(catalog, imageId, analysis(null), newEvent(imageId, streamName, imageId))
          ids.push(event!.imageEventId)
        }
        return ids
      }

      it('reads a batch of events with their images in one call, leaving out unknown ids', async () => {
        const [e1, e2] = (await events('b', 2)) as [number, number]
        const found = await catalog.getEventsWithImages([e2, 999_999, e1, e2])
        expect(found.map(({ event }) => event.imageEventId).sort((a, b) => a - b)).toEqual([e1, e2])
        for (const { event, image } of found) {
          expect(event).toEqual(await catalog.getEvent(event.imageEventId))
          expect(image).toEqual(await catalog.getImage(event.imageId))
        }
        expect(await catalog.getEventsWithImages([])).toEqual([])
      })

      it('inserts a batch of alerts once: a repeat or an overlapping batch creates only the missing ones', async () => {
        const [e1, e2, e3] = (await events('b', 3)) as [number, number, number]
        const first = await catalog.insertAlerts([e1, e2, e2], new Date())
        expect(first.map((outcome) => [outcome.alert.imageEventId, outcome.created])).toEqual([
          [e1, true],
          [e2, true],
          [e2, false],
        ])
        expect(first[2]!.alert).toEqual(first[1]!.alert)
        const second = await catalog.insertAlerts([e2, e3, e1], new Date())
        expect(second.map((outcome) => outcome.created)).toEqual([false, true, false])
        expect(second[0]!.alert).toEqual(first[1]!.alert)
        for (const { alert } of [...first, ...second]) expect(await getAlert(alert.imageEventAlertId)).toEqual(alert)
        expect((await catalog.tableCounts()).image_event_alert).toBe(3)
        expect(await catalog.insertAlerts([], new Date())).toEqual([])
      })

      it('lets racing overlapping batches create each alert exactly once', async () => {
        const ids = await events('race', 8)
        const batches = [ids.slice(0, 5), ids.slice(3), [...ids].reverse(), ids.filter((_, index) => index % 2 === 1), ids]
        const results = (await Promise.all(batches.map((batch) => catalog.insertAlerts(batch, new Date())))).flat()
        for (const id of ids) {
          const outcomes = results.filter((outcome) => outcome.alert.imageEventId === id)
          expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1)
          expect(new Set(outcomes.map((outcome) => outcome.alert.imageEventAlertId)).size).toBe(1)
        }
        expect((await catalog.tableCounts()).image_event_alert).toBe(ids.length)
      })

      it('writes none of a batch when one of its events does not exist', async () => {
        const [e1] = (await events('b', 1)) as [number]
        expect(await failure(catalog.insertAlerts([e1, 999_999], new Date()))).toBeInstanceOf(CatalogConflictError)
        expect((await catalog.tableCounts()).image_event_alert).toBe(0)
      })

      it('marks a batch of alerts delivered in one call, and names the ids it did not find', async () => {
        const outcomes = await catalog.insertAlerts(await events('b', 3), new Date())
        const [a1, a2, a3] = outcomes.map((outcome) => outcome.alert.imageEventAlertId) as [number, number, number]
        const at = new Date('2026-01-02T03:04:05.006Z')
        await catalog.markAlertsDelivered([a1, a2], ['log', 'webhook'], at)
        await catalog.markAlertsDelivered([a1, a2], ['log', 'webhook'], at) // same values again
        for (const id of [a1, a2]) {
          expect(await getAlert(id)).toMatchObject({ deliveryChannels: 'log,webhook', deliveredAt: at })
        }
        expect((await catalog.listUndeliveredAlerts({ limit: 10 })).map((alert) => alert.imageEventAlertId)).toEqual([a3])
        const missing = await failure(catalog.markAlertsDelivered([a3, 999_998, 999_999], ['log'], at))
        expect(missing).toBeInstanceOf(NotFoundError)
        expect((missing as Error).message).toContain('999998, 999999')
        expect(await catalog.listUndeliveredAlerts({ limit: 10 })).toEqual([])
      })
    })

    describe('views and reports', () => {
      it('joins an alert to its event, image and previous image', async () => {
        const { first, second, eventId, alertId } = await alertChain()
        const view = await catalog.getAlertView(alertId)
        expect(view?.alert).toEqual(await getAlert(alertId))
        expect(view?.event).toEqual(await catalog.getEvent(eventId))
        expect(view?.image).toEqual(await catalog.getImage(second))
        expect(view?.previousImage).toEqual(await catalog.getImage(first))
        expect(await catalog.getAlertView(999_999)).toBeNull()
      })

      it('shows no previous image for an event without one', async () => {
        const [only] = (await stream('s', 1)) as [number]
        const { event } = await recordOneAnalysis(catalog, only, analysis(null), newEvent(only, 's', 1))
        const { alert } = await insertOneAlert(catalog, event!.imageEventId)
        const view = await catalog.getAlertView(alert.imageEventAlertId)
        expect(view?.image.imageId).toBe(only)
        expect(view?.previousImage).toBeNull()
      })

      it('lists alert views newest first and pages backwards', async () => {
        const alerts: number[] = []
        for (const name of ['a', 'b', 'c', 'd']) alerts.push((await alertChain(name)).alertId)
        const page1 = await catalog.listAlertViews({ limit: 3 })
        expect(page1.map((view) => view.alert.imageEventAlertId)).toEqual([alerts[3], alerts[2], alerts[1]])
        expect(page1.map((view) => view.image.stream)).toEqual(['d', 'c', 'b'])
        expect(page1.map((view) => view.previousImage?.imageNum)).toEqual([1, 1, 1])
        const page2 = await catalog.listAlertViews({ limit: 3, beforeId: page1.at(-1)!.alert.imageEventAlertId })
        expect(page2.map((view) => view.alert.imageEventAlertId)).toEqual([alerts[0]])
        expect(page2[0]?.image.stream).toBe('a')
        expect(await catalog.listAlertViews({ limit: 3, beforeId: alerts[0] })).toEqual([])
      })

      it('gives a stream its newest images with metrics and alert numbers, and its recent receive and alert times', async () => {
        const { first, second, alertId } = await alertChain('s')
        const [third] = (await stream('other', 1)) as [number]
        const moment = new Date(Date.now() - 60_000)
        const activity = await catalog.streamActivity('s', { limit: 10, since: moment })
        expect(activity.points.map((point) => [point.imageId, point.imageNum, point.status, point.alertNumber])).toEqual([
          [first, 1, 'analyzed', null],
          [second, 2, 'analyzed', alertId],
        ])
        expect(activity.points[1]).toMatchObject({ changedFraction: 0.25, l2Norm: 1234.5 })
        expect(activity.points[1]?.receivedAt).toBeInstanceOf(Date)
        expect(activity.imageTimes).toHaveLength(2)
        expect(activity.alertTimes).toHaveLength(1)
        expect((await catalog.streamActivity('s', { limit: 1, since: moment })).points.map((point) => point.imageId)).toEqual([second])
        const future = await catalog.streamActivity('s', { limit: 10, since: new Date(Date.now() + 3_600_000) })
        expect([future.imageTimes.length, future.alertTimes.length]).toEqual([0, 0])
        expect((await catalog.streamActivity('other', { limit: 10, since: moment })).points.map((point) => point.imageId)).toEqual([third])
        expect((await catalog.streamActivity('none', { limit: 10, since: moment })).points).toEqual([])
      })

      it('counts images by status, events and alerts, over all streams or some', async () => {
        const chain = await alertChain('s')
        await alertChain('t')
        await insertOneImage(catalog, newImage('t', 3, { status: 'failed', errorCode: 'X', errorMessage: 'y' }))
        await catalog.markAlertsDelivered([chain.alertId], ['log'], new Date())
        expect(await catalog.counts()).toEqual({
          images: 5,
          imagesReceived: 0,
          imagesAnalyzed: 4,
          imagesFailed: 1,
          events: 2,
          alerts: 2,
          alertsUndelivered: 1,
        })
        expect(await catalog.counts(['t'])).toEqual({
          images: 3,
          imagesReceived: 0,
          imagesAnalyzed: 2,
          imagesFailed: 1,
          events: 1,
          alerts: 1,
          alertsUndelivered: 1,
        })
        expect((await catalog.counts(['s', 't'])).images).toBe(5)
        expect((await catalog.counts([])).images).toBe(0)
      })

      it('lists raw rows with database column names, ascending, with ISO timestamps and numbers', async () => {
        const { alertId } = await alertChain()
        await catalog.markAlertsDelivered([alertId], ['log'], new Date('2026-03-04T05:06:07.089Z'))
        const images = await catalog.tableRows('image_metadata', { limit: 10 })
        expect(images.map((row) => row['image_num'])).toEqual([1, 2])
        expect(Object.keys(images[0]!)).toEqual([
          'image_id',
          'image_filename',
          'image_object_key',
          'stream',
          'image_num',
          'content_sha256',
          'byte_size',
          'width',
          'height',
          'format',
          'status',
          'error_code',
          'error_message',
          'received_at',
          'analyzed_at',
          'previous_image_id',
          'l2_norm',
          'changed_fraction',
          'max_abs_difference',
          'fits_hdu',
          'obs_mjd',
          'obs_time',
          'exposure_s',
          'filter',
          'field',
          'center_ra',
          'center_dec',
          'pixel_scale_arcsec',
          'footprint',
          'fits_header',
        ])
        expect(images[1]).toMatchObject({ byte_size: 1002, previous_image_id: images[0]!['image_id'], l2_norm: 1234.5 })
        expect(images[1]!['received_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        expect(await catalog.tableRows('image_metadata', { limit: 10, afterId: Number(images[0]!['image_id']) })).toEqual([images[1]])
        const [alert] = await catalog.tableRows('image_event_alert', { limit: 10 })
        expect(alert).toMatchObject({ image_event_alert_id: alertId, delivered_at: '2026-03-04T05:06:07.089Z', delivery_channels: 'log' })
        expect(Object.keys((await catalog.tableRows('image_event', { limit: 1 }))[0]!)).toEqual([
          'image_event_id',
          'image_id',
          'difference_image_object_key',
          'event_type',
          'detected_at',
          'analyzer',
          'analyzer_version',
        ])
      })
    })
  })
}
