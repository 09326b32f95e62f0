import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { AnalyzeStage } from '../../../src/stages/analyze/analyze-stage.js'
import { drainTopic, memoryContext, message, receiveNumbered, type TestContext } from '../../support/memory-context.js'
import { recordOneAnalysis } from '../../support/catalog-writes.js'

let context: TestContext
let teddy: Buffer
let rotated: Buffer
beforeEach(async () => {
  context = await memoryContext()
  teddy ??= await renderTeddyBear(64)
  rotated ??= await sharp(teddy).rotate(90).jpeg().toBuffer()
})
afterEach(async () => {
  await context.close()
})

function receive(imageNum: number, bytes: Buffer, stream = 'cam') {
  return receiveNumbered(context, { stream, imageNum, bytes, filename: `f${imageNum}.jpg` })
}

describe('AnalyzeStage: a bad object is the failure of its own image only', () => {
  for (const fault of ['missing', 'corrupt'] as const) {
    it(`the newest analysed image's object ${fault}: it is marked failed, later images compare with the last good one`, async () => {
      const stage = new AnalyzeStage(context)
      const one = await receive(1, teddy)
      const two = await receive(2, teddy)
      await stage.analyzeImage(one.imageId)
      await stage.analyzeImage(two.imageId)
      if (fault === 'missing') await context.store.delete([two.imageObjectKey])
      else await context.store.put(two.imageObjectKey, Buffer.from('garbage that is no JPEG'))
      const three = await receive(3, rotated) // differs from image 2 by bytes: the pixels of 2 are needed
      const four = await receive(4, rotated)
      const later = new AnalyzeStage(context) // another process: nothing decoded in memory
      await later.analyzeImage(three.imageId)
      await later.analyzeImage(four.imageId)

      expect(await context.catalog.getImage(two.imageId)).toMatchObject({ status: 'failed' })
      // Image 3 is compared with image 1 (the last good one): a real event, not a failure of image 3.
      expect(await context.catalog.getImage(three.imageId)).toMatchObject({ status: 'analyzed', previousImageId: one.imageId })
      expect(await context.catalog.getEventByImageId(three.imageId)).toMatchObject({ eventType: 'changed' })
      expect(await context.catalog.getImage(four.imageId)).toMatchObject({ status: 'analyzed', previousImageId: three.imageId, l2Norm: 0 })
    })
  }

  it('an object swapped for another valid image is a failure of that image (IMGPIPE_OBJECT_MISMATCH), not analysed as genuine', async () => {
    const stage = new AnalyzeStage(context)
    const one = await receive(1, teddy)
    const two = await receive(2, teddy)
    await context.store.put(two.imageObjectKey, rotated) // a decodable picture, but not the one received
    await stage.analyzeImage(one.imageId)
    await new AnalyzeStage(context).analyzeImage(two.imageId) // another process: nothing decoded in memory
    expect(await context.catalog.getImage(two.imageId)).toMatchObject({ status: 'failed', errorCode: 'IMGPIPE_OBJECT_MISMATCH' })
    expect((await context.catalog.counts()).events).toBe(0)
  })

  it('a swapped predecessor is marked failed and skipped', async () => {
    const stage = new AnalyzeStage(context)
    const one = await receive(1, teddy)
    const two = await receive(2, rotated)
    const three = await receive(3, teddy)
    await context.store.put(two.imageObjectKey, teddy)
    await stage.analyzeImage(one.imageId)
    await stage.analyzeImage(three.imageId)
    expect(await context.catalog.getImage(two.imageId)).toMatchObject({ status: 'failed', errorCode: 'IMGPIPE_OBJECT_MISMATCH' })
    expect(await context.catalog.getImage(three.imageId)).toMatchObject({ status: 'analyzed', previousImageId: one.imageId, l2Norm: 0 })
  })
})

describe('AnalyzeStage: difference images named by event id', () => {
  it('inserts the event without a key, stores difference_image/<stream>__image_event_N.jpg, then sets the key', async () => {
    const stage = new AnalyzeStage(context)
    const one = await receive(1, teddy, 'default')
    const two = await receive(2, rotated, 'default')
    await stage.analyzeImage(one.imageId)
    await stage.analyzeImage(two.imageId)
    const event = await context.catalog.getEventByImageId(two.imageId)
    expect(event?.differenceImageObjectKey).toBe(`difference_image/image_event_${String(event?.imageEventId).padStart(5, '0')}.jpg`)
    expect((await sharp(await context.store.get(event!.differenceImageObjectKey!)).metadata()).format).toBe('jpeg')
  })

  it('recovery finishes an event whose key is still NULL (crash between insert and upload), then alerts it', async () => {
    const one = await receive(1, teddy)
    const two = await receive(2, rotated)
    const stage = new AnalyzeStage(context)
    await stage.analyzeImage(one.imageId)
    // What a crash right after the event insert leaves: analysed image, event without key, no object, no alert.
    const { event } = await recordOneAnalysis(
      context.catalog,
      two.imageId,
      { previousImageId: one.imageId, l2Norm: 5, changedFraction: 0.5, maxAbsDifference: 200, analyzedAt: new Date() },
      { imageId: two.imageId, differenceImageObjectKey: null, eventType: 'changed', analyzer: 'imgpipe-pixel-diff', analyzerVersion: '1' },
    )
    expect(event?.differenceImageObjectKey).toBeNull()
    expect(await context.catalog.listEventsWithoutAlert({ limit: 10 })).toEqual([]) // not alerted without a key
    await drainTopic(context.bus, 'image_event_alert')

    expect(await new AnalyzeStage(context).recover()).toBe(1)
    const finished = await context.catalog.getEvent(event!.imageEventId)
    expect(finished?.differenceImageObjectKey).toBe(`difference_image/cam__image_event_${String(event!.imageEventId).padStart(5, '0')}.jpg`)
    expect((await sharp(await context.store.get(finished!.differenceImageObjectKey!)).metadata()).width).toBe(64)
    const alerts = await drainTopic(context.bus, 'image_event_alert')
    expect(alerts.map((entry) => JSON.parse(entry.value).image_event_id)).toEqual([event!.imageEventId])
  })
})

describe("AnalyzeStage: rows of the original's receiving client", () => {
  it('numbers them from the message or the file name and compares by number, whatever the message order', async () => {
    const pictures = [teddy, teddy, rotated, rotated, rotated]
    const ids: number[] = []
    for (const [index, bytes] of pictures.entries()) {
      const name = `image_${String(index + 1).padStart(5, '0')}.jpg`
      await context.store.put(`image/${name}`, bytes)
      // The original's INSERT: only its two columns.
      const rows = await context.catalog.executeSql(
        `INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('${name}', 'image/${name}') RETURNING image_id`,
      )
      ids.push(Number(rows[0]!['image_id']))
    }
    const stage = new AnalyzeStage(context)
    for (const index of [4, 2, 0, 3, 1]) {
      const num = index + 1
      const name = `image_${String(num).padStart(5, '0')}.jpg`
      // Byte for byte what the original's Python client sends (json.dumps), image 5 without image_num.
      const text =
        num === 5
          ? `{"image_id": ${ids[index]}, "image_filename": "${name}"}`
          : `{"image_num": ${num}, "image_id": ${ids[index]}, "image_filename": "${name}", "image_analysis_path": "/tmp/x/${name}"}`
      await stage.handle(message('image_analysis', text))
    }
    const images = await Promise.all(ids.map((id) => context.catalog.getImage(id)))
    expect(images.map((image) => [image?.stream, image?.imageNum, image?.status])).toEqual(
      [1, 2, 3, 4, 5].map((num) => ['default', num, 'analyzed']),
    )
    expect(images.map((image) => image?.previousImageId ?? null)).toEqual([null, ids[0], ids[1], ids[2], ids[3]])
    const events = await context.catalog.listAlertViews({ limit: 10 })
    expect(events).toEqual([]) // no alerts yet: the alert stage makes them
    expect((await context.catalog.counts()).events).toBe(1)
    expect(await context.catalog.getEventByImageId(ids[2]!)).toMatchObject({
      differenceImageObjectKey: 'difference_image/image_event_00001.jpg',
    })
  })
})
