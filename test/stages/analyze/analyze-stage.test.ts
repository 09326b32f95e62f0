import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { AnalyzeStage } from '../../../src/stages/analyze/analyze-stage.js'
import { PixelSource } from '../../../src/stages/analyze/pixel-source.js'
import { drainTopic, memoryContext, message, receiveNumbered, type TestContext } from '../../support/memory-context.js'

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

function receive(imageNum: number, bytes: Buffer, stream = 'mock') {
  return receiveNumbered(context, { stream, imageNum, bytes, filename: `image_${imageNum}.jpg` })
}

describe('AnalyzeStage', () => {
  it('uses the pixels the receive stage of its process decoded, once their object is read back and its hash checked', async () => {
    // One pixel source for both stages, as run-pipeline.ts composes them in one process.
    const pixels = new PixelSource(context.store, context.analysis)
    const shared = { ...context, pixels }
    const stage = new AnalyzeStage(shared) // enables the hand-over before the images are received
    const first = await receiveNumbered(shared, { stream: 'mock', imageNum: 1, bytes: teddy, filename: 'image_1.jpg' })
    const second = await receiveNumbered(shared, { stream: 'mock', imageNum: 2, bytes: rotated, filename: 'image_2.jpg' })
    expect(pixels.handOver.size).toBe(2 * 64 * 64 * 3)
    await stage.analyzeImage(first.imageId)
    await stage.analyzeImage(second.imageId)
    expect(pixels.handOver.size).toBe(0) // both handed over, none decoded twice
    expect(await context.catalog.getEventByImageId(second.imageId)).toMatchObject({ eventType: 'changed' })
    // The same analysis from pixels decoded here (another process): identical metrics.
    const handed = await context.catalog.getImage(second.imageId)
    await context.catalog.resetForReanalysis({ failedOnly: false })
    await new AnalyzeStage(context).analyzeImage(second.imageId)
    const decoded = await context.catalog.getImage(second.imageId)
    expect(decoded).toMatchObject({ status: 'analyzed', l2Norm: handed!.l2Norm, changedFraction: handed!.changedFraction })
  })

  it('analyses the first image of a stream without comparison, and identical bytes as unchanged', async () => {
    const first = await receive(1, teddy)
    const second = await receive(2, teddy)
    const stage = new AnalyzeStage(context)
    await stage.handle(message('image_analysis', JSON.stringify({ image_id: first.imageId })))
    await stage.handle(message('image_analysis', String(second.imageId)))
    expect(await context.catalog.getImage(first.imageId)).toMatchObject({ status: 'analyzed', previousImageId: null, l2Norm: null })
    expect(await context.catalog.getImage(second.imageId)).toMatchObject({
      status: 'analyzed',
      previousImageId: first.imageId,
      l2Norm: 0,
      changedFraction: 0,
    })
    expect((await context.catalog.counts()).events).toBe(0)
  })

  it('records an event with a difference image and asks for an alert when the image changed', async () => {
    const first = await receive(1, teddy)
    const second = await receive(2, rotated)
    const stage = new AnalyzeStage(context)
    await stage.analyzeImage(first.imageId)
    await stage.analyzeImage(second.imageId)

    const event = await context.catalog.getEventByImageId(second.imageId)
    expect(event).toMatchObject({
      differenceImageObjectKey: 'difference_image/mock__image_event_00001.jpg',
      eventType: 'changed',
      analyzer: 'imgpipe-pixel-diff',
    })
    const difference = await sharp(await context.store.get('difference_image/mock__image_event_00001.jpg')).metadata()
    expect([difference.format, difference.width, difference.height]).toEqual(['jpeg', 64, 64])
    const analysed = await context.catalog.getImage(second.imageId)
    expect(analysed?.changedFraction).toBeGreaterThan(0.01)
    expect(analysed?.l2Norm).toBeGreaterThan(0)

    const alerts = await drainTopic(context.bus, 'image_event_alert')
    expect(alerts.map((entry) => JSON.parse(entry.value))).toEqual([
      expect.objectContaining({
        schema_version: 1,
        image_event_id: event?.imageEventId,
        image_id: second.imageId,
        stream: 'mock',
        image_num: 2,
      }),
    ])
  })

  it('handles a redelivered message without a second event, republishing the alert request', async () => {
    const first = await receive(1, teddy)
    const second = await receive(2, rotated)
    const stage = new AnalyzeStage(context)
    await stage.analyzeImage(first.imageId)
    await stage.analyzeImage(second.imageId)
    await stage.analyzeImage(second.imageId)
    expect((await context.catalog.counts()).events).toBe(1)
    const alerts = await drainTopic(context.bus, 'image_event_alert')
    expect(new Set(alerts.map((entry) => JSON.parse(entry.value).image_event_id)).size).toBe(1)
    expect(alerts).toHaveLength(2)
  })

  it('marks an image failed when its bytes have vanished from the store, and goes on', async () => {
    const first = await receive(1, teddy)
    const second = await receive(2, rotated)
    await context.store.delete([second.imageObjectKey])
    const stage = new AnalyzeStage(context)
    await stage.analyzeImage(first.imageId)
    await stage.analyzeImage(second.imageId)
    expect(await context.catalog.getImage(second.imageId)).toMatchObject({ status: 'failed', errorCode: 'IMGPIPE_OBJECT_NOT_FOUND' })
  })

  it('treats a different size as a size_changed event', async () => {
    const first = await receive(1, teddy)
    const bigger = await renderTeddyBear(80)
    const second = await receive(2, bigger)
    const stage = new AnalyzeStage(context)
    await stage.analyzeImage(first.imageId)
    await stage.analyzeImage(second.imageId)
    expect(await context.catalog.getEventByImageId(second.imageId)).toMatchObject({ eventType: 'size_changed' })
    const difference = await sharp(await context.store.get('difference_image/mock__image_event_00001.jpg')).metadata()
    expect([difference.width, difference.height]).toEqual([80, 80])
  })

  it('rejects a message naming an image that does not exist (after waiting for its commit), and one that is not ours', async () => {
    const stage = new AnalyzeStage(context, { rowWaitMs: 200 })
    await expect(stage.handle(message('image_analysis', '{"image_id": 999}'))).rejects.toMatchObject({
      code: 'IMGPIPE_NOT_FOUND',
      canRetry: false,
    })
    await expect(stage.handle(message('image_analysis', 'hello'))).rejects.toMatchObject({ code: 'IMGPIPE_MESSAGE_INVALID' })
  })

  it('republishes events that never got an alert when it starts', async () => {
    const first = await receive(1, teddy)
    const second = await receive(2, rotated)
    const stage = new AnalyzeStage(context)
    await stage.analyzeImage(first.imageId)
    await stage.analyzeImage(second.imageId)
    await drainTopic(context.bus, 'image_event_alert')
    expect(await new AnalyzeStage(context).recover()).toBe(1)
  })
})
