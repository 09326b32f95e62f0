import { describe, expect, it } from 'vitest'
import { createMemoryObjectLedger } from '../../../src/adapters/memory/memory-object-ledger.js'
import { objectLedgerDeps } from '../../../src/analysis/association/ledger-deps.js'
import type { DetectionInput, ObjectLedger } from '../../../src/core/ports/object-ledger.js'
import type { AlertFilter, SubscriptionRecord } from '../../../src/core/ports/subscriptions.js'
import type { ImageEventRecord, ImageRecord } from '../../../src/core/types.js'
import { AlertFactsReader } from '../../../src/stages/alert/alert-facts.js'

/**
 * The facts of a batch cost one detections read and one objects read, however many events and objects it has:
 * at ~2,000 events/s a read per event was the slowest part of a filtered batch.
 */

const IMAGE: ImageRecord = {
  imageId: 0,
  imageFilename: 'a.fits',
  imageObjectKey: 'image/cam/a.fits',
  stream: 'cam',
  imageNum: 0,
  contentSha256: null,
  byteSize: null,
  width: null,
  height: null,
  format: null,
  status: 'analyzed',
  errorCode: null,
  errorMessage: null,
  receivedAt: new Date(0),
  analyzedAt: null,
  previousImageId: null,
  l2Norm: null,
  changedFraction: null,
  maxAbsDifference: null,
  observation: null,
}

function detection(ra: number, mjd: number, imageEventId: number | null, snr: number): DetectionInput {
  const imageId = imageEventId
  return {
    imageId,
    imageEventId,
    stream: 'cam',
    ra,
    dec: 5,
    mjd,
    filter: 'r',
    psfFlux: 500,
    psfFluxErr: 10,
    snr,
    realBogus: 0.9,
    kind: 'new_source',
    x: 1,
    y: 2,
  }
}

function eventOf(imageEventId: number): { event: ImageEventRecord; image: ImageRecord } {
  const event: ImageEventRecord = {
    imageEventId,
    imageId: imageEventId,
    differenceImageObjectKey: 'd',
    eventType: 'new_source',
    detectedAt: new Date(0),
    analyzer: null,
    analyzerVersion: null,
  }
  return { event, image: { ...IMAGE, imageId: imageEventId } }
}

function subscribed(filter: AlertFilter): Pick<SubscriptionRecord, 'filter'>[] {
  return [{ filter }]
}

describe('AlertFactsReader on a batch', () => {
  it('reads the detections of every event and the counts of every object in one call each', async () => {
    const ledger = createMemoryObjectLedger(objectLedgerDeps)
    // Objects at RA 10 and 11 seen twice before (no event), one at 12 new with the batch.
    await ledger.associate([detection(10, 60_000, null, 5), detection(11, 60_000, null, 5)])
    await ledger.associate([detection(10, 60_001, null, 5), detection(11, 60_001, null, 5)])
    await ledger.associate([
      detection(10, 61_000, 1, 30),
      detection(11, 61_000, 1, 40),
      detection(12, 61_000, 2, 50),
      detection(10, 61_001, 3, 60),
    ])
    const calls: { events: number[][]; objects: number[][] } = { events: [], objects: [] }
    const counted: ObjectLedger = Object.assign(Object.create(null) as ObjectLedger, {
      detectionsOfEvents: (ids: readonly number[]) => (calls.events.push([...ids]), ledger.detectionsOfEvents(ids)),
      objects: (ids: readonly number[]) => (calls.objects.push([...ids]), ledger.objects(ids)),
      history: (id: number) => ledger.history(id),
    })
    const reader = new AlertFactsReader({
      objects: counted,
      subscriptions: { listSubscriptions: async () => subscribed({ minDetections: 1 }) as SubscriptionRecord[] },
    })
    const facts = await reader.read([eventOf(1), eventOf(2), eventOf(1), eventOf(3), eventOf(4)])
    expect(calls.events).toEqual([[1, 2, 3, 4]])
    expect(calls.objects).toHaveLength(1)
    expect(calls.objects[0]).toHaveLength(3)
    const summary = facts.map((fact) => fact.detections?.map((d) => [d.snr, d.priorDetections]))
    // Event 1's detection at RA 10 is not its object's latest (event 3's is): its count comes from the history.
    expect(summary).toEqual([
      [
        [30, 2],
        [40, 2],
      ],
      [[50, 0]],
      [
        [30, 2],
        [40, 2],
      ],
      [[60, 3]],
      [],
    ])
  })
})
