/**
 * Science images for the web tests: mock-sky FITS frames written with imgpipe's FITS writer into the fixture's
 * store, their rows in the catalog with format 'fits' and the observation their headers give, and an alert on
 * the second frame (its difference image an 8-bit JPEG, as the FITS analyze path makes it).
 *
 * The catalog keeps the observation (migration 0005); {@link withObservations} lays another one over it, for
 * pages of headers no mock frame has (hostile text).
 */
import sharp from 'sharp'
import { FITS_RECORD } from '../../src/analysis/fits/fits-header.js'
import { writeFits } from '../../src/analysis/fits/fits-writer.js'
import type { HeaderCard } from '../../src/analysis/fits/header-card.js'
import { observationMetadata } from '../../src/analysis/observation-metadata.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame, type MockSkyFrame, type MockSkyOptions } from '../../src/analysis/sky/mock-sky.js'
import type { Catalog } from '../../src/core/ports/catalog.js'
import type { AlertView, ImageObservation, ImageRecord } from '../../src/core/types.js'
import { createHash } from 'node:crypto'
import type { TestContext } from '../support/memory-context.js'
import { insertOneAlert, insertOneImage, recordOneAnalysis } from '../support/catalog-writes.js'

/** Small, non-square frames (the orientation and the shrink factor must be right on both axes), fast to make. */
export const FITS_SKY: MockSkyOptions = { ...DEFAULT_MOCK_SKY, seed: 17, frames: 3, width: 320, height: 240, stars: 60 }

/** FITS pixels 1..MASKED_CORNER on both axes are masked (NaN) in every frame. */
const MASKED_CORNER = 40

export interface FitsImageRow {
  imageId: number
  frame: MockSkyFrame
  bytes: Uint8Array
  observation: ImageObservation
}

/** The header as the catalog keeps it: 80-character cards joined by '\n', END and the padding left out. */
function headerText(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('latin1')
  const cards: string[] = []
  for (let at = 0; at + FITS_RECORD <= text.length; at += FITS_RECORD) {
    const card = text.slice(at, at + FITS_RECORD)
    if (card.startsWith('END     ')) break
    cards.push(card)
  }
  return cards.join('\n')
}

function observationOf(cards: readonly HeaderCard[], bytes: Uint8Array, width: number, height: number): ImageObservation {
  const { notes: _notes, ...columns } = observationMetadata(cards, width, height)
  return { hdu: 0, ...columns, header: headerText(bytes) }
}

/**
 * Stream `stream` of `FITS_SKY.frames` FITS frames (keys `image/<stream>/frame_N.fits`); frame 2 is alerted.
 * Returns the rows and the catalog to give the web app (the context's, which keeps the observation columns).
 */
export async function insertFitsStream(
  context: TestContext,
  stream = 'sky',
  options: MockSkyOptions = FITS_SKY,
): Promise<{ rows: FitsImageRow[]; catalog: Catalog; alertNumber: number }> {
  const rows: FitsImageRow[] = []
  for (let frameNumber = 1; frameNumber <= options.frames; frameNumber++) {
    const frame = renderMockSkyFrame(options, 0, frameNumber)
    // A masked corner, as BLANK/NaN pixels arrive: the preview paints them dark blue, the readout says masked.
    for (let y = 0; y < MASKED_CORNER; y++) frame.image.data.fill(Number.NaN, y * frame.image.width, y * frame.image.width + MASKED_CORNER)
    const bytes = writeFits(frame.image, frame.cards, { now: new Date(Date.UTC(2026, 0, 2)) })
    const key = `image/${stream}/frame_${frameNumber}.fits`
    await context.store.put(key, bytes)
    const observation = observationOf(frame.cards, bytes, frame.image.width, frame.image.height)
    const { image } = await insertOneImage(context.catalog, {
      stream,
      imageNum: frameNumber,
      imageFilename: `frame_${frameNumber}.fits`,
      imageObjectKey: key,
      contentSha256: createHash('sha256').update(bytes).digest('hex'),
      byteSize: bytes.length,
      width: frame.image.width,
      height: frame.image.height,
      format: 'fits',
      status: 'received',
      observation,
    })
    rows.push({ imageId: image.imageId, frame, bytes, observation })
  }
  const [first, second] = rows
  if (first === undefined || second === undefined) throw new Error('a FITS stream needs two frames')
  const differenceKey = `difference_image/${stream}/frame_2.jpg`
  const difference = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#808080' } })
    .jpeg()
    .toBuffer()
  await context.store.put(differenceKey, difference)
  const { event } = await recordOneAnalysis(
    context.catalog,
    second.imageId,
    { previousImageId: first.imageId, l2Norm: 321.5, changedFraction: 0.01, maxAbsDifference: 90, analyzedAt: new Date() },
    { imageId: second.imageId, differenceImageObjectKey: differenceKey, eventType: 'changed', analyzer: 'test', analyzerVersion: '0' },
  )
  if (event === null) throw new Error('no event recorded')
  const { alert } = await insertOneAlert(context.catalog, event.imageEventId)
  return { rows, catalog: context.catalog, alertNumber: alert.imageEventAlertId }
}

/** The catalog with `observation` replaced on the rows it returns whose ids are in `observations`. */
export function withObservations(catalog: Catalog, observations: ReadonlyMap<number, ImageObservation>): Catalog {
  const dress = (image: ImageRecord): ImageRecord =>
    observations.has(image.imageId) ? { ...image, observation: observations.get(image.imageId)! } : image
  const dressView = (view: AlertView): AlertView => ({
    ...view,
    image: dress(view.image),
    previousImage: view.previousImage === null ? null : dress(view.previousImage),
  })
  return new Proxy(catalog, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (property === 'getImage')
        return async (id: number) => {
          const image = await target.getImage(id)
          return image === null ? null : dress(image)
        }
      if (property === 'getAlertView')
        return async (id: number) => {
          const view = await target.getAlertView(id)
          return view === null ? null : dressView(view)
        }
      if (property === 'listAlertViews')
        return async (options: Parameters<Catalog['listAlertViews']>[0]) => (await target.listAlertViews(options)).map(dressView)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
