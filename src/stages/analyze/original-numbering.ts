import { imageNumFromFilename } from '../../core/object-keys.js'
import type { ImageRecord } from '../../core/types.js'
import type { AnalysisLedger } from '../../core/ports/analysis-ledger.js'
import { forEachPendingPage, type StageContext } from '../stage-context.js'

/**
 * Rows of the original's receiving client carry no number: it is in the message, or in the file name
 * (`image_00003.jpg`). The stream's other unnumbered rows get theirs too, so that whatever order the
 * messages come in, "the previous image" is found by number. Returns the image's row, numbered when a number
 * was found.
 */
export async function numberOriginalRows(
  context: StageContext<AnalysisLedger>,
  image: ImageRecord,
  hint: number | null,
): Promise<ImageRecord> {
  const { catalog } = context
  const own = hint ?? imageNumFromFilename(image.imageFilename)
  if (own === null) return image
  const numbered = await catalog.assignImageNum(image.imageId, image.stream, own)
  await forEachPendingPage(
    context,
    (page) => catalog.listUnnumberedImages(image.stream, page),
    (row) => row.imageId,
    async (rows) => {
      for (const row of rows) {
        const num = imageNumFromFilename(row.imageFilename)
        if (num === null) continue
        // A clash (two rows naming one number) leaves the row unnumbered rather than failing this image.
        await catalog.assignImageNum(row.imageId, row.stream, num).catch(() => undefined)
      }
    },
  )
  return numbered
}
