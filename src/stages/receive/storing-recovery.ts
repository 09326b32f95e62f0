import { ObjectNotFoundError } from '../../core/errors.js'
import type { ReceiveLedger } from '../../core/ports/receive-ledger.js'
import type { ImageRecord } from '../../core/types.js'
import { retrying, type StageContext } from '../stage-context.js'
import { sha256 } from './check-incoming.js'

/**
 * Recovery of a `storing` row without its source (a crash between put and status update): finished only when
 * its object is there, whole and its own. Published afterwards by the pass over `received` images in recover().
 */
export async function finishIfStored(context: StageContext<ReceiveLedger>, image: ImageRecord): Promise<void> {
  let bytes: Buffer
  try {
    bytes = await retrying(context, 'object get', () => context.store.get(image.imageObjectKey))
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return // a re-run of its source will store it
    throw error
  }
  if (image.contentSha256 !== null && sha256(bytes) !== image.contentSha256) return
  const status = image.errorCode === null ? 'received' : 'failed'
  await retrying(context, 'image status', () => context.catalog.finishStoringImages([image.imageId], status))
}

/**
 * Where a numbered source (the mock stream) resumes a stream: the first number still `storing` (claimed by a
 * run that died before its bytes were stored, which only the source can finish), else the next free number.
 */
export async function resumeImageNum(catalog: ReceiveLedger, stream: string): Promise<number> {
  let resume = await catalog.nextImageNum(stream)
  for (let afterId = 0; ;) {
    const page = await catalog.listImagesByStatus('storing', { limit: 500, afterId })
    if (page.length === 0) return resume
    for (const image of page) if (image.stream === stream && image.imageNum !== null) resume = Math.min(resume, image.imageNum)
    afterId = page[page.length - 1]!.imageId
  }
}
