import { describeError, isImgpipeError, toImgpipeError, type ImgpipeError } from '../../core/errors.js'
import type { AnalysisLedger } from '../../core/ports/analysis-ledger.js'
import type { StageContext } from '../stage-context.js'

/**
 * Whether a failure is the image's own (its object gone, corrupt, swapped or not decodable) and is recorded on
 * it. Not a retryable one, nor a service's: before this, a difference image that did not fit on a full disk
 * (ENOSPC, not retryable) marked its image failed for good, and the next image raised a false event.
 */
export function blamesImage(context: StageContext, failure: ImgpipeError): boolean {
  if (failure.canRetry || context.signal.aborted) return false
  return !isImgpipeError(failure, 'IMGPIPE_STORE_UNAVAILABLE', 'IMGPIPE_CATALOG_UNAVAILABLE', 'IMGPIPE_BUS_UNAVAILABLE', 'IMGPIPE_CLOSED')
}

/**
 * Marks the image failed when the failure is its own and returns the failure; rethrows any other (a service that
 * fails for good stops the stage and the image stays `received`).
 */
export async function failImage(context: StageContext<AnalysisLedger>, imageId: number, error: unknown): Promise<ImgpipeError> {
  const failure = toImgpipeError(error)
  if (!blamesImage(context, failure)) throw failure
  await context.catalog.markImageFailed(imageId, failure.code, describeError(failure).slice(0, 1000))
  return failure
}
