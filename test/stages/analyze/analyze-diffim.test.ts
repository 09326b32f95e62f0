import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StoreUnavailableError } from '../../../src/core/errors.js'
import { encodeMessage, SCHEMA_VERSION } from '../../../src/core/messages.js'
import type { TruthRow } from '../../../src/analysis/sky/mock-sky.js'
import type { ImageRecord } from '../../../src/core/types.js'
import { AnalyzeStage } from '../../../src/stages/analyze/analyze-stage.js'
import { alertItem, withDetections } from '../../../src/stages/alert/alert-payload.js'
import { drainTopic, memoryContext, message, type TestContext } from '../../support/memory-context.js'
import { memoryScience, receiveSkyFrame, type TestScience } from '../../support/science-context.js'

let context: TestContext
let science: TestScience
beforeEach(async () => {
  context = await memoryContext()
  science = memoryScience()
})
afterEach(async () => {
  await science.compute.close()
  await context.close()
})

/** Receives and analyses frames `from`..`to` of the test sky; returns each frame's row and truth. */
async function analyseFrames(stage: AnalyzeStage, from: number, to: number): Promise<{ image: ImageRecord; truth: TruthRow[] }[]> {
  const frames = []
  for (let frame = from; frame <= to; frame++) {
    const received = await receiveSkyFrame(context, frame)
    await stage.analyzeImage(received.image.imageId)
    frames.push(received)
  }
  return frames
}

function nearest(detections: readonly { x: number; y: number }[], truth: TruthRow): number {
  return Math.min(...detections.map((detection) => Math.hypot(detection.x - truth.x, detection.y - truth.y)))
}

describe('AnalyzeStage with difference imaging', () => {
  it("builds a field's reference from its first 3 analysed frames and analyses the next one against it", async () => {
    const stage = new AnalyzeStage({ ...context, science })
    const frames = await analyseFrames(stage, 1, 3)
    expect(await science.ledger.listReferences()).toEqual([])
    for (const { image } of frames) expect(await science.ledger.getDiffimRun(image.imageId)).toBeNull()

    const [fourth] = await analyseFrames(stage, 4, 4)
    const [reference] = await science.ledger.listReferences('sky')
    expect(reference).toMatchObject({ field: 'field-a', filter: 'r', version: 1, status: 'ready', frames: 3 })
    expect([...reference!.imageIds].sort()).toEqual(frames.map(({ image }) => image.imageId).sort())
    const stored = await context.store.get(reference!.objectKey!)
    expect(stored.subarray(0, 9).toString()).toBe('SIMPLE  =')
    const run = await science.ledger.getDiffimRun(fourth!.image.imageId)
    expect(run).toMatchObject({ referenceId: reference!.referenceId })
    expect(run!.fakes).toHaveLength(5)
    expect(await context.catalog.getImage(fourth!.image.imageId)).toMatchObject({ status: 'analyzed', previousImageId: null })
  })

  it('a frame handled while the frames before it are still being analysed waits for them and is analysed against the reference they make', async () => {
    const stage = new AnalyzeStage({ ...context, science })
    const frames = []
    for (let frame = 1; frame <= 4; frame++) frames.push(await receiveSkyFrame(context, frame))
    // As concurrent handlers start them: frame 4 first, while frames 1–3 are still `received`.
    await expect(stage.analyzeImage(frames[3]!.image.imageId)).rejects.toMatchObject({ canRetry: true })
    await Promise.all(frames.slice(0, 3).map(({ image }) => stage.analyzeImage(image.imageId)))
    await stage.analyzeImage(frames[3]!.image.imageId) // the message worker's retry
    const [reference] = await science.ledger.listReferences('sky')
    expect(await science.ledger.getDiffimRun(frames[3]!.image.imageId)).toMatchObject({ referenceId: reference!.referenceId })
  })

  it('never builds a reference with IMGPIPE_REFERENCE_FRAMES 0: every frame is compared with its predecessor', async () => {
    const never = memoryScience({ referenceFrames: 0 })
    try {
      const stage = new AnalyzeStage({ ...context, science: never })
      const frames = await analyseFrames(stage, 1, 5)
      expect(await never.ledger.listReferences()).toEqual([])
      expect(await context.catalog.getImage(frames[4]!.image.imageId)).toMatchObject({ previousImageId: frames[3]!.image.imageId })
    } finally {
      await never.compute.close()
    }
  })

  it('a new source becomes a new_source event with its detections, derivatives and run; a second delivery adds nothing', async () => {
    const stage = new AnalyzeStage({ ...context, science })
    await analyseFrames(stage, 1, 4)
    const { image, truth } = await receiveSkyFrame(context, 5)
    const delivery = message(
      context.topics.imageAnalysis,
      encodeMessage({
        schema_version: SCHEMA_VERSION,
        image_id: image.imageId,
        image_num: 5,
        image_filename: image.imageFilename,
        stream: 'sky',
        image_object_key: image.imageObjectKey,
        received_at: image.receivedAt.toISOString(),
      }),
    )
    await stage.handle(delivery)

    const event = await context.catalog.getEventByImageId(image.imageId)
    expect(event).toMatchObject({ analyzer: 'diffim' })
    expect(['new_source', 'brightening', 'fading']).toContain(event!.eventType)
    expect(event!.differenceImageObjectKey).not.toBeNull()
    const detections = (await science.objects.detectionsOfEvents([event!.imageEventId])).get(event!.imageEventId) ?? []
    const newSource = truth.find((row) => row.kind === 'new')!
    expect(nearest(detections, newSource)).toBeLessThan(1)
    const found = detections.find((detection) => Math.hypot(detection.x - newSource.x, detection.y - newSource.y) < 1)!
    expect(found).toMatchObject({ kind: 'new_source', imageId: image.imageId, imageEventId: event!.imageEventId, stream: 'sky' })
    expect(found.snr).toBeGreaterThan(10)

    const derivatives = await science.ledger.listDerivatives(event!.imageEventId)
    const names = derivatives.map((derivative) => derivative.name)
    expect(names).toEqual(expect.arrayContaining(['difference.fits', 'noise.fits', 'stamp-0-science.fits', 'stamp-0-difference.fits']))
    const stamp = derivatives.find((derivative) => derivative.name === 'stamp-0-science.fits')!
    expect(stamp.sourceId).toBe(detections[0]!.sourceId)
    expect((await context.store.get(stamp.objectKey)).subarray(0, 9).toString()).toBe('SIMPLE  =')
    const run = await science.ledger.getDiffimRun(image.imageId)
    expect(run!.detections).toBe(detections.length)

    const alerts = await drainTopic(context.bus, context.topics.imageEventAlert)
    const ours = alerts.filter((alert) => JSON.parse(alert.value).image_event_id === event!.imageEventId)
    expect(ours).toHaveLength(1)

    await stage.handle(delivery)
    expect(await science.objects.detectionsOfImage(image.imageId)).toHaveLength(detections.length)
    expect(await science.ledger.listDerivatives(event!.imageEventId)).toHaveLength(derivatives.length)
    expect(await context.catalog.getEventByImageId(image.imageId)).toEqual(event)
  })

  it('an event left without its derivatives by a crash is finished by recover(), with the same detections', async () => {
    const stage = new AnalyzeStage({ ...context, science })
    await analyseFrames(stage, 1, 4)
    const { image } = await receiveSkyFrame(context, 5)
    const put = context.store.put.bind(context.store)
    context.store.put = async (key: string, bytes: Uint8Array) => {
      if (key.startsWith('derivative/')) throw new StoreUnavailableError('the disk went away')
      return put(key, bytes)
    }
    await expect(stage.analyzeImage(image.imageId)).rejects.toThrow(/disk went away/)
    const unfinished = await context.catalog.getEventByImageId(image.imageId)
    expect(unfinished).toMatchObject({ analyzer: 'diffim', differenceImageObjectKey: null })
    expect(await science.ledger.listDerivatives(unfinished!.imageEventId)).toEqual([])
    const detectionsBefore = (await science.objects.detectionsOfEvents([unfinished!.imageEventId])).get(unfinished!.imageEventId) ?? []

    context.store.put = put
    const restarted = new AnalyzeStage({ ...context, science })
    // Frames 2–4's events count too: no alert stage has recorded their alerts in this test.
    expect(await restarted.recover()).toBeGreaterThanOrEqual(1)
    const finished = await context.catalog.getEventByImageId(image.imageId)
    const alerts = await drainTopic(context.bus, context.topics.imageEventAlert)
    expect(alerts.filter((alert) => JSON.parse(alert.value).image_event_id === finished!.imageEventId)).toHaveLength(1)
    expect(finished!.differenceImageObjectKey).not.toBeNull()
    const detections = (await science.objects.detectionsOfEvents([finished!.imageEventId])).get(finished!.imageEventId) ?? []
    expect(detections.length).toBeGreaterThan(0)
    // The associate before the crash recorded them already; the recomputed ones (same seed) added nothing.
    expect(detections).toEqual(detectionsBefore.length > 0 ? detectionsBefore : detections)
    const derivatives = await science.ledger.listDerivatives(finished!.imageEventId)
    expect(derivatives.map((derivative) => derivative.name)).toContain('stamp-0-reference.fits')
    expect(derivatives.every((derivative) => derivative.objectKey.startsWith('derivative/sky__image_event_'))).toBe(true)
  })

  it("an alert's payload carries its event's detections, most significant first, with links to their stamps", async () => {
    const stage = new AnalyzeStage({ ...context, science })
    await analyseFrames(stage, 1, 4)
    const { image, truth } = (await analyseFrames(stage, 5, 5))[0]!
    const event = (await context.catalog.getEventByImageId(image.imageId))!
    const alert = {
      imageEventAlertId: 9,
      imageEventId: event.imageEventId,
      createdAt: new Date(),
      deliveredAt: null,
      deliveryChannels: null,
    }
    const catalog = {
      getAlertView: async () => ({ alert, event, image: (await context.catalog.getImage(image.imageId))!, previousImage: null }),
    }
    const view = await withDetections(catalog, science).getAlertView(9)
    const item = alertItem(view!, 'https://viewer.example.org/imgpipe/')
    expect(item).toMatchObject({ alertNum: 9, imageEventId: event.imageEventId, eventType: event.eventType, stream: 'sky' })
    const detections = item.detections!
    expect(detections.length).toBe(((await science.objects.detectionsOfEvents([event.imageEventId])).get(event.imageEventId) ?? []).length)
    const snrs = detections.map((detection) => Math.abs(detection.snr))
    expect(snrs).toEqual([...snrs].sort((a, b) => b - a))
    const newSource = truth.find((row) => row.kind === 'new')!
    const found = detections.find((detection) => Math.hypot(detection.ra - newSource.ra, detection.dec - newSource.dec) * 3600 < 0.5)!
    expect(found).toMatchObject({ kind: 'new_source', realBogus: expect.any(Number), objectId: expect.any(Number) })
    expect(found.psfFlux / found.psfFluxErr).toBeCloseTo(found.snr, 1)
    const names = (await science.ledger.listDerivatives(event.imageEventId))
      .filter((row) => row.sourceId === found.sourceId)
      .map((row) => row.name)
    const science_ = names.find((name) => name.endsWith('-science.fits'))!
    expect(found.stamps.science).toBe(`https://viewer.example.org/imgpipe/derivatives/${event.imageEventId}/${science_}`)
    expect(found.stamps.reference).toMatch(/-reference\.fits$/)
    expect(found.stamps.difference).toMatch(/-difference\.fits$/)
  })
})
