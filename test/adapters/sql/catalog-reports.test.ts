import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { selectAlertViews, selectCounts, selectTableCounts, selectTableRows } from '../../../src/adapters/sql/catalog-reports.js'
import type { Insertable, Selectable } from 'kysely'
import type { CatalogDatabase } from '../../../src/adapters/sql/catalog-schema.js'
import type { RecordingKysely } from '../../support/catalog-backends.js'
import { recordingMemoryKysely } from '../../support/catalog-backends.js'

describe('catalog reports', () => {
  let recording: RecordingKysely

  beforeEach(async () => {
    recording = await recordingMemoryKysely()
  })

  afterEach(async () => {
    await recording.close()
  })

  /** One row, as stored (the fixtures' plain insert; the catalog's idempotent ones are batch writes). */
  function insertRow<Table extends keyof CatalogDatabase>(table: Table, values: Insertable<CatalogDatabase[Table]>) {
    return recording.db
      .insertInto(table)
      .values(values as never)
      .returningAll()
      .executeTakeFirstOrThrow() as Promise<Selectable<CatalogDatabase[Table]>>
  }

  /** `count` streams of two images each; image 2 of each has an event and an alert. Returns the alert ids. */
  async function seed(count: number): Promise<number[]> {
    const alerts: number[] = []
    for (let index = 0; index < count; index += 1) {
      const stream = `s${index}`
      const first = await insertRow('image_metadata', {
        stream,
        image_num: 1,
        image_filename: 'a',
        image_object_key: `image/${stream}/1.jpg`,
      })
      const second = await insertRow('image_metadata', {
        stream,
        image_num: 2,
        image_filename: 'b',
        image_object_key: `image/${stream}/2.jpg`,
        previous_image_id: first.image_id,
        status: 'analyzed',
      })
      const event = await insertRow('image_event', {
        image_id: second.image_id,
        difference_image_object_key: `difference_image/${stream}/2.jpg`,
      })
      alerts.push((await insertRow('image_event_alert', { image_event_id: event.image_event_id })).image_event_alert_id)
    }
    recording.clear()
    return alerts
  }

  it('builds any number of alert views in two statements (no query per alert)', async () => {
    const alerts = await seed(25)
    const views = await selectAlertViews(recording.db, (query) => query.orderBy('a.image_event_alert_id', 'desc'))
    expect(views.map((view) => view.alert.imageEventAlertId)).toEqual([...alerts].reverse())
    for (const view of views) {
      expect(view.image.imageNum).toBe(2)
      expect(view.previousImage?.imageNum).toBe(1)
      expect(view.previousImage?.stream).toBe(view.image.stream)
      expect(view.event.imageId).toBe(view.image.imageId)
    }
    expect(recording.statements).toHaveLength(2)
  })

  it('runs one statement when no alert matches', async () => {
    await seed(1)
    expect(await selectAlertViews(recording.db, (query) => query.where('a.image_event_alert_id', '=', 999))).toEqual([])
    expect(recording.statements).toHaveLength(1)
  })

  it('counts in two statements, and in none for an empty stream list', async () => {
    await seed(3)
    const counts = await selectCounts(recording.db)
    expect(counts).toEqual({ images: 6, imagesReceived: 3, imagesAnalyzed: 3, imagesFailed: 0, events: 3, alerts: 3, alertsUndelivered: 3 })
    expect(recording.statements).toHaveLength(2)
    recording.clear()
    expect((await selectCounts(recording.db, [])).images).toBe(0)
    expect(recording.statements).toHaveLength(0)
  })

  it('counts the three tables in one statement and pages raw rows', async () => {
    await seed(2)
    expect(await selectTableCounts(recording.db)).toEqual({ image_metadata: 4, image_event: 2, image_event_alert: 2 })
    expect(recording.statements).toHaveLength(1)
    const rows = await selectTableRows(recording.db, 'image_metadata', { limit: 2, afterId: 1 })
    expect(rows.map((row) => row['image_id'])).toEqual([2, 3])
  })
})
