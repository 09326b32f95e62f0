import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AlertStage } from '../../../src/stages/alert/alert-stage.js'
import { memoryContext, message, type TestContext } from '../../support/memory-context.js'
import { RecordingChannel } from '../../support/recording-channel.js'
import { insertOneImage, recordOneAnalysis } from '../../support/catalog-writes.js'

let context: TestContext
let eventId: number
beforeEach(async () => {
  context = await memoryContext()
  const { image } = await insertOneImage(context.catalog, {
    stream: 'mock',
    imageNum: 3,
    imageFilename: 'image_00003.jpg',
    imageObjectKey: 'image/mock/image_00003.jpg',
    contentSha256: null,
    byteSize: 1,
    width: 1,
    height: 1,
    format: 'jpeg',
    status: 'received',
  })
  const { event } = await recordOneAnalysis(
    context.catalog,
    image.imageId,
    { previousImageId: null, l2Norm: 1, changedFraction: 0.5, maxAbsDifference: 200, analyzedAt: new Date() },
    {
      imageId: image.imageId,
      differenceImageObjectKey: 'difference_image/mock/image_00003.jpg',
      eventType: 'changed',
      analyzer: 'test',
      analyzerVersion: '1',
    },
  )
  eventId = event!.imageEventId
})
afterEach(async () => {
  await context.close()
})

describe('AlertStage', () => {
  it('records one alert per event and delivers it once, however often the message comes', async () => {
    const channel = new RecordingChannel()
    const stage = new AlertStage(context, [channel])
    await stage.handle(message('image_event_alert', JSON.stringify({ image_event_id: eventId })))
    await stage.handle(message('image_event_alert', String(eventId)))
    expect((await context.catalog.counts()).alerts).toBe(1)
    expect(channel.alerts).toHaveLength(1)
    expect(channel.alerts[0]).toMatchObject({ imageEventId: eventId, stream: 'mock', imageNum: 3 })
    expect(channel.deliveries[0]).toMatchObject({ deliveryId: `alert-${channel.alerts[0]!.alertNum}`, subscription: { subscriptionId: 0 } })
    const [alert] = await context.catalog.listUndeliveredAlerts({ limit: 10 })
    expect(alert).toBeUndefined()
    const view = await context.catalog.getAlertView(channel.alerts[0]!.alertNum)
    expect(view?.alert.deliveryChannels).toBe('recording')
    expect(view?.alert.deliveredAt).toBeInstanceOf(Date)
  })

  it('keeps an alert undelivered while a channel fails, and delivers it on recovery', async () => {
    const channel = new RecordingChannel()
    channel.failuresLeft = 1
    const stage = new AlertStage(context, [channel])
    await expect(stage.alertEvent(eventId)).rejects.toMatchObject({ code: 'IMGPIPE_DELIVERY_FAILED', canRetry: true })
    expect(await context.catalog.listUndeliveredAlerts({ limit: 10 })).toHaveLength(1)
    expect(await stage.recover()).toBe(1)
    expect(channel.alerts).toHaveLength(1)
    expect(await context.catalog.listUndeliveredAlerts({ limit: 10 })).toHaveLength(0)
  })

  it('rejects an event id that does not exist, after waiting for its commit', async () => {
    const stage = new AlertStage(context, [new RecordingChannel()])
    await expect(stage.alertEvent(12345, 200)).rejects.toMatchObject({ code: 'IMGPIPE_NOT_FOUND' })
    expect((await context.catalog.counts()).alerts).toBe(0)
  })

  it("waits for an event's difference image key (the original's INSERT, upload, UPDATE) and alerts it then", async () => {
    const channel = new RecordingChannel()
    const stage = new AlertStage(context, [channel])
    await context.catalog.executeSql(
      "INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('image_00009.jpg', 'image/image_00009.jpg')",
    )
    const rows = await context.catalog.executeSql(
      "INSERT INTO image_event (image_id) SELECT image_id FROM image_metadata WHERE image_filename = 'image_00009.jpg' RETURNING image_event_id",
    )
    const keyless = Number(rows[0]!['image_event_id'])
    await expect(stage.alertEvent(keyless, 200)).rejects.toMatchObject({ code: 'IMGPIPE_NOT_FOUND' })
    expect((await context.catalog.counts()).alerts).toBe(0)
    setTimeout(() => {
      void context.catalog.executeSql(
        `UPDATE image_event SET difference_image_object_key = 'difference_image/image_event_${String(keyless).padStart(5, '0')}.jpg' WHERE image_event_id = ${keyless}`,
      )
    }, 100)
    const alert = await stage.alertEvent(keyless, 5_000)
    expect(alert.imageEventId).toBe(keyless)
    expect(channel.alerts.map((item) => item.imageEventId)).toEqual([keyless])
    const view = await context.catalog.getAlertView(alert.imageEventAlertId)
    expect(view?.event.differenceImageObjectKey).toBe('difference_image/image_event_00002.jpg')
  })
})
