import type { ImgpipeError } from '../../core/errors.js'
import type { ImageRecord } from '../../core/types.js'
import type { CheckedFields } from './check-incoming.js'
import type { IncomingImage } from './image-source.js'

export type ReceiveOutcome =
  /** Stored and published for analysis. */
  | { kind: 'received'; image: ImageRecord }
  /** Recorded with status failed (bad bytes); not published. */
  | { kind: 'failed'; image: ImageRecord; error: ImgpipeError }
  /** Already in the catalog (a re-run, or the same file ingested again): nothing written. */
  | { kind: 'duplicate'; image: ImageRecord }

/** The outcomes of a window, by the images' positions in it; each step fills in those it settles. */
export type WindowOutcomes = (ReceiveOutcome | undefined)[]

/** One image of a window on its way through the stage. */
export interface WindowItem {
  incoming: IncomingImage
  contentSha256: string | null
  checked?: CheckedFields
}

/** An image whose row this window owns: its bytes (if any) go under the row's key, then the row is finished. */
export interface Claim {
  index: number
  image: ImageRecord
  checked: CheckedFields
}
