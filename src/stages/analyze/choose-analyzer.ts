import type { ReferenceKey } from '../../core/ports/science-ledger.js'
import type { ImageRecord } from '../../core/types.js'

/**
 * The field and filter a science image's reference is kept under, or null when difference imaging cannot run on it:
 * only a FITS image whose header names its field and filter and has a celestial WCS (the receive stage found its
 * centre through it) can be aligned with a reference. Every other image — a camera's JPEG, the original's stream, a
 * FITS frame without a WCS — is analysed by pixel-diff against its predecessor, as before.
 */
export function referenceKeyOf(image: ImageRecord): ReferenceKey | null {
  const observation = image.observation
  if (image.format !== 'fits' || observation === null) return null
  const { field, filter, centerRa } = observation
  if (field === null || field === '' || filter === null || filter === '' || centerRa === null) return null
  return { stream: image.stream, field, filter }
}
