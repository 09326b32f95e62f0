/**
 * A small recorded sky for the Avro alert stream tests: a variable star seen on four images (one detection each,
 * associated into one object) plus, on the last image, a second source far away (a new object); each detection has
 * its three FITS stamps in an object store and as derivative rows of its event (issue 18's names), and each image
 * an alert. The ledgers are the memory adapters unless given (the SQL catalog's, say); the store is in memory.
 */
import { createMemoryObjectLedger } from '../../src/adapters/memory/memory-object-ledger.js'
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.js'
import { createMemoryScienceLedger } from '../../src/adapters/memory/memory-science-ledger.js'
import { objectLedgerDeps } from '../../src/analysis/association/ledger-deps.js'
import type { AlertItem } from '../../src/core/ports/delivery-channel.js'
import type { DetectionInput, ObjectLedger } from '../../src/core/ports/object-ledger.js'
import type { NewDerivative, ScienceLedger } from '../../src/core/ports/science-ledger.js'
import { fitsStamp } from './alert-fixtures.js'

export const STAR = { ra: 150.1, dec: 2.2 }
export const EPOCHS = 4

export interface RecordedSky {
  objects: ObjectLedger
  store: MemoryObjectStore
  derivatives: Pick<ScienceLedger, 'listDerivatives'>
  /** One alert per image, oldest first; the last one's event has two detections. */
  alerts: AlertItem[]
  /** An alert of a pixel-difference event: no detections. */
  pixelDiffAlert: AlertItem
  /** The stored FITS bytes by (sourceId, role). */
  stamp(sourceId: number, role: 'science' | 'reference' | 'difference'): Buffer
}

function alertItem(alertNum: number, imageId: number, imageEventId: number, eventType = 'difference'): AlertItem {
  return {
    alertNum,
    imageEventId,
    eventType,
    stream: 'cam-a',
    imageNum: alertNum,
    imageId,
    imageFilename: `image-${imageId}.fits`,
    previousImageId: null,
    changedFraction: null,
    l2Norm: null,
    maxAbsDifference: null,
    detectedAt: '2026-12-07T00:00:00.000Z',
    createdAt: '2026-12-07T00:00:00.000Z',
    links: {},
  }
}

function detection(imageId: number, imageEventId: number, epoch: number, overrides: Partial<DetectionInput> = {}): DetectionInput {
  return {
    imageId,
    imageEventId,
    stream: 'cam-a',
    ra: STAR.ra + epoch * 1e-5,
    dec: STAR.dec - epoch * 1e-5,
    mjd: 61_000.25 + epoch,
    filter: epoch % 2 === 0 ? 'g' : 'r',
    psfFlux: epoch === 2 ? -800 : 1000 + 250 * epoch,
    psfFluxErr: 20 + epoch,
    snr: 50 - epoch,
    realBogus: 0.9,
    kind: epoch === 2 ? 'fading' : 'brightening',
    x: 100.5 + epoch,
    y: 200.25,
    apFlux: 990 + epoch,
    apFluxErr: 30,
    fwhm: 3.5,
    elongation: 1.125,
    ...overrides,
  }
}

/** Records the sky; image ids 1001…, event ids 501…, alerts 1…. */
export async function recordSky(
  ledgers: { objects: ObjectLedger; science: Pick<ScienceLedger, 'recordDerivatives' | 'listDerivatives'> } = {
    objects: createMemoryObjectLedger(objectLedgerDeps),
    science: createMemoryScienceLedger(),
  },
): Promise<RecordedSky> {
  const { objects, science } = ledgers
  const store = new MemoryObjectStore()
  const stamps = new Map<string, Buffer>()
  const alerts: AlertItem[] = []
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const imageId = 1001 + epoch
    const imageEventId = 501 + epoch
    const batch = [detection(imageId, imageEventId, epoch)]
    // Far from the star (1°): a new object on the last image.
    if (epoch === EPOCHS - 1) batch.push(detection(imageId, imageEventId, epoch, { ra: STAR.ra + 1, kind: 'new_source', psfFlux: 5000 }))
    await objects.associate(batch)
    const recorded = (await objects.detectionsOfEvents([imageEventId])).get(imageEventId) ?? []
    const rows: NewDerivative[] = []
    for (const [i, source] of recorded.entries()) {
      for (const role of ['science', 'reference', 'difference'] as const) {
        const bytes = fitsStamp(source.sourceId * 10 + role.length)
        const objectKey = `derivatives/${imageEventId}/stamp-${i}-${role}.fits`
        await store.put(objectKey, bytes)
        stamps.set(`${source.sourceId}/${role}`, bytes)
        rows.push({ imageEventId, name: `stamp-${i}-${role}.fits`, objectKey, contentType: 'image/fits', sourceId: source.sourceId })
      }
    }
    await science.recordDerivatives(rows)
    alerts.push(alertItem(epoch + 1, imageId, imageEventId))
  }
  return {
    objects,
    store,
    derivatives: science,
    alerts,
    pixelDiffAlert: alertItem(99, 2001, 601, 'changed'),
    stamp: (sourceId, role) => stamps.get(`${sourceId}/${role}`)!,
  }
}
