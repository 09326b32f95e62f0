/**
 * Difference imaging for the viewer's tests: the FITS fixture's stream (mock-sky frames with a WCS, an alert on
 * frame 2) plus what the diffim analyzer and the analyze stage record for that alert — a reference of the field
 * (frame 1 as a FITS object), a run, detections tied to the event through the memory ObjectLedger, and derivative
 * rows: `difference.fits` and per detection three 63×63 stamps as FITS and PNG, each stamp row carrying its
 * detection's source id. Memory adapters for both ledgers, the real SQLite catalog and memory store.
 */
import sharp from 'sharp'
import { objectLedgerDeps } from '../../src/analysis/association/ledger-deps.js'
import { cutStamp, stampCards } from '../../src/analysis/diffim/stamps.js'
import { preview } from '../../src/analysis/display/preview.js'
import { writeFits } from '../../src/analysis/fits/fits-writer.js'
import { headerLookup } from '../../src/analysis/fits/header-card.js'
import { floatImage, type FloatImage } from '../../src/analysis/float-image.js'
import { readWcs } from '../../src/analysis/wcs/wcs.js'
import { createMemoryObjectLedger } from '../../src/adapters/memory/memory-object-ledger.js'
import { createMemoryScienceLedger } from '../../src/adapters/memory/memory-science-ledger.js'
import type { Catalog } from '../../src/core/ports/catalog.js'
import type { DiaSourceRecord, ObjectLedger } from '../../src/core/ports/object-ledger.js'
import type { NewDerivative, ReferenceRecord, ScienceLedger } from '../../src/core/ports/science-ledger.js'
import type { AlertView } from '../../src/core/types.js'
import type { WebScience } from '../../src/web/web-science.js'
import type { TestContext } from '../support/memory-context.js'
import { FITS_SKY, insertFitsStream, withObservations, type FitsImageRow } from './fits-fixture.js'

/** Where the fixture's detections are (0-based pixels of the 320×240 frame) and what they are. */
export const DIFFIM_DETECTIONS = [
  { x: 101.3, y: 62.7, psfFlux: 5230.4, psfFluxErr: 61.2, snr: 85.5, kind: 'new_source', realBogus: 0.97, fwhm: 2.61, elongation: 1.08 },
  { x: 250.0, y: 180.0, psfFlux: -812.5, psfFluxErr: 58.9, snr: -13.8, kind: 'fading', realBogus: 0.81, fwhm: 2.4, elongation: 1.21 },
  { x: 12.0, y: 220.0, psfFlux: 402.0, psfFluxErr: 60.0, snr: 6.7, kind: 'brightening', realBogus: 0.66, fwhm: 2.9, elongation: 1.4 },
] as const

export interface DiffimFixture {
  catalog: Catalog
  rows: FitsImageRow[]
  alertNumber: number
  view: AlertView
  science: WebScience
  objects: ObjectLedger
  ledger: ScienceLedger
  reference: ReferenceRecord
  /** The event's detections in source-id order (as the page lists them). */
  detections: DiaSourceRecord[]
  /** The stored bytes of each derivative, by name. */
  objectsByName: Map<string, Buffer>
  /** The field the rows and the reference carry. */
  field: string
}

/**
 * `field`: another field name than the mock sky's (hostile header text), laid over the rows' observations.
 * `ledgers`: the memory adapters (default) or the SQLite catalog's own (migration 0006).
 */
export async function insertDiffimAlert(
  context: TestContext,
  options: { stream?: string; field?: string; ledgers?: 'memory' | 'sql' } = {},
): Promise<DiffimFixture> {
  const stream = options.stream ?? 'deep'
  const inserted = await insertFitsStream(context, stream, FITS_SKY)
  const { rows, alertNumber } = inserted
  const field = options.field ?? rows[0]!.observation.field!
  const catalog =
    options.field === undefined
      ? inserted.catalog
      : withObservations(inserted.catalog, new Map(rows.map((row) => [row.imageId, { ...row.observation, field }])))
  const view = (await catalog.getAlertView(alertNumber))!
  const science = rows[1]!
  const imageEventId = view.event.imageEventId
  const wcs = readWcs(headerLookup(science.frame.cards))
  const filter = science.observation.filter ?? 'r'

  const sql = options.ledgers === 'sql'
  const objects = sql ? context.catalog.objectLedger(objectLedgerDeps) : createMemoryObjectLedger(objectLedgerDeps)
  await objects.associate(
    DIFFIM_DETECTIONS.map((detection) => {
      const sky = wcs.pixelToSky(detection.x, detection.y)
      return { ...detection, imageId: science.imageId, imageEventId, stream, ra: sky.ra, dec: sky.dec, mjd: science.frame.mjd, filter }
    }),
  )
  const detections = (await objects.detectionsOfEvents([imageEventId])).get(imageEventId)!

  const ledger = sql ? context.catalog.scienceLedger() : createMemoryScienceLedger()
  const claim = (await ledger.claimReference({ stream, field, filter }, 60_000))!
  const referenceKey = `reference/${stream}/${claim.referenceId}.fits`
  await context.store.put(referenceKey, Buffer.from(rows[0]!.bytes))
  const reference = await ledger.finishReference(claim.referenceId, {
    objectKey: referenceKey,
    frames: 1,
    fwhm: 2.45,
    imageIds: [rows[0]!.imageId],
  })
  await ledger.recordDiffimRuns([
    {
      imageId: science.imageId,
      referenceId: reference.referenceId,
      psfMethod: 'gaussian-kernel',
      scienceFwhm: 2.6,
      referenceFwhm: 2.45,
      noiseCorrection: 1.1,
      candidates: 5,
      detections: detections.length,
      seconds: 0.42,
      fakes: [],
    },
  ])

  const objectsByName = new Map<string, Buffer>()
  const derivatives: NewDerivative[] = []
  const put = async (name: string, bytes: Buffer, contentType: string, sourceId: number | null): Promise<void> => {
    const objectKey = `derivative/${stream}/${imageEventId}/${name}`
    await context.store.put(objectKey, bytes)
    objectsByName.set(name, bytes)
    derivatives.push({ imageEventId, name, objectKey, contentType, sourceId })
  }
  const difference = differenceOf(science.frame.image, rows[0]!.frame.image)
  await put('difference.fits', Buffer.from(writeFits(difference, science.frame.cards)), 'image/fits', null)
  for (const [index, detection] of detections.entries()) {
    const images: Record<string, FloatImage> = { science: science.frame.image, reference: rows[0]!.frame.image, difference }
    for (const [kind, image] of Object.entries(images)) {
      const stamp = cutStamp(image, detection.x, detection.y)
      await put(
        `stamp-${index}-${kind}.fits`,
        Buffer.from(writeFits(stamp.image, stampCards(science.frame.cards, stamp))),
        'image/fits',
        detection.sourceId,
      )
      await put(`stamp-${index}-${kind}.png`, await pngOf(stamp.image), 'image/png', detection.sourceId)
    }
  }
  await ledger.recordDerivatives(derivatives)
  return {
    catalog,
    rows,
    alertNumber,
    view,
    science: { detections: objects, ledger },
    objects,
    ledger,
    reference,
    detections,
    objectsByName,
    field,
  }
}

function differenceOf(science: FloatImage, reference: FloatImage): FloatImage {
  const out = floatImage(science.width, science.height)
  for (let i = 0; i < out.data.length; i++) out.data[i] = science.data[i]! - reference.data[i]!
  return out
}

async function pngOf(image: FloatImage): Promise<Buffer> {
  const shown = preview(image, { stretch: 'asinh' })
  return sharp(shown.data, { raw: { width: shown.width, height: shown.height, channels: 3 } })
    .png()
    .toBuffer()
}
