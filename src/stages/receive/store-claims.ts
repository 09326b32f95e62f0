import pMap from 'p-map'
import { contentTypeForKey } from '../../core/object-keys.js'
import type { ImageRecord } from '../../core/types.js'
import type { ReceiveLedger } from '../../core/ports/receive-ledger.js'
import { retrying, type StageContext } from '../stage-context.js'
import type { AnalysisDirCopy } from './analysis-dir-copy.js'
import type { Claim, WindowItem } from './window-item.js'

/**
 * Puts the bytes of the claims still `storing` under the keys their rows own (several at a time, and each good
 * image's analysis-dir copy after its put), then finishes those rows: one status update per final status.
 * Returns the finished rows by id. A crash between put and update leaves the row `storing` for recover().
 */
export async function storeClaims(
  context: StageContext<ReceiveLedger>,
  items: readonly WindowItem[],
  claims: readonly Claim[],
  options: { putConcurrency: number; analysisCopy: AnalysisDirCopy | null },
): Promise<Map<number, ImageRecord>> {
  const { catalog, store } = context
  const storing = claims.filter((claim) => claim.image.status === 'storing')
  await pMap(
    storing,
    async ({ index, image, checked }) => {
      const bytes = items[index]!.incoming.bytes!
      const key = image.imageObjectKey
      await retrying(context, 'object put', () => store.put(key, bytes, { contentType: contentTypeForKey(key) }))
      if (checked.error === null) await options.analysisCopy?.write(image, bytes)
    },
    { concurrency: options.putConcurrency },
  )
  const finished = new Map<number, ImageRecord>()
  for (const status of ['received', 'failed'] as const) {
    const ids = storing.filter((claim) => claim.checked.status === status).map((claim) => claim.image.imageId)
    if (ids.length === 0) continue
    const rows = await retrying(context, 'image status', () => catalog.finishStoringImages(ids, status))
    for (const row of rows) finished.set(row.imageId, row)
  }
  return finished
}
