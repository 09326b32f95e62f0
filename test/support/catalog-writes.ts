/**
 * One-row writes for test fixtures, through the catalog's batch methods (the port has no singular writes): a
 * batch of one. Shapes as the fixtures read them; an image's `created` is not known to the batch insert, so
 * tests that care compare the stored row with what they inserted.
 */
import type { AlertLedger } from '../../src/core/ports/alert-ledger.js'
import type { AnalysisLedger, AnalysisWriteOutcome } from '../../src/core/ports/analysis-ledger.js'
import type { ReceiveLedger } from '../../src/core/ports/receive-ledger.js'
import type { AlertRecord, AnalysisResult, ImageEventRecord, ImageRecord, NewImage, NewImageEvent } from '../../src/core/types.js'

export async function insertOneImage(catalog: Pick<ReceiveLedger, 'insertImages'>, image: NewImage): Promise<{ image: ImageRecord }> {
  const [stored] = await catalog.insertImages([image])
  return { image: stored! }
}

export async function recordOneAnalysis(
  catalog: Pick<AnalysisLedger, 'recordAnalyses'>,
  imageId: number,
  result: AnalysisResult,
  event: NewImageEvent | null,
): Promise<AnalysisWriteOutcome> {
  const [outcome] = await catalog.recordAnalyses([{ imageId, result, event }])
  return outcome!
}

export async function insertOneAlert(
  catalog: Pick<AlertLedger, 'insertAlerts'>,
  imageEventId: number,
  createdAt = new Date(),
): Promise<{ alert: AlertRecord; created: boolean }> {
  const [outcome] = await catalog.insertAlerts([imageEventId], createdAt)
  return outcome!
}

export async function setOneDifferenceKey(
  catalog: Pick<AnalysisLedger, 'setEventDifferenceKeys'>,
  imageEventId: number,
  differenceImageObjectKey: string,
): Promise<ImageEventRecord> {
  const [event] = await catalog.setEventDifferenceKeys([{ imageEventId, differenceImageObjectKey }])
  return event!
}
