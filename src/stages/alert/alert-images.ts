import type { Logger } from '../../core/logger.js'
import { contentTypeForKey } from '../../core/object-keys.js'
import type { AlertImage } from '../../core/ports/delivery-channel.js'
import type { ObjectStore } from '../../core/ports/object-store.js'
import type { AlertView } from '../../core/types.js'

/** Larger images are left to the links: a mail of three full-size camera images would be refused or slow. */
const MAX_ATTACHED_BYTES = 1024 * 1024

/**
 * What mail clients show inline (the mail's HTML shows each image as `<img src="cid:…">`): a FITS file, TIFF or
 * HEIC would be a broken picture there, so those are left to the links. A FITS event's difference image is a JPEG.
 */
const INLINE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])

/**
 * The attachment name of an image stored under `key`: `<role>-<alert>-<file name>` for an image, or
 * `difference-<alert>` for the difference image, which has no file name of its own. The extension (and with
 * it what a mail client opens the file as) is the stored object's: the difference image is a JPEG.
 */
function attachmentName(role: AlertImage['role'], alertNum: number, key: string, filename: string | null): string {
  const extension = key.slice(key.lastIndexOf('/') + 1).includes('.') ? key.slice(key.lastIndexOf('.') + 1).toLowerCase() : ''
  const base = filename === null || filename === '' ? `${role}-${alertNum}` : `${role}-${alertNum}-${filename}`
  // A file name whose own extension says something else (or nothing) gets the stored object's.
  if (extension === '' || contentTypeForKey(base) === contentTypeForKey(key)) return base
  return `${base}.${extension}`
}

/**
 * The images of each alert (previous, image, difference) for channels that attach them (e-mail), each with its
 * name and content type from its object key ({@link contentTypeForKey}). Those a mail client would not show
 * (INLINE_TYPES), larger than MAX_ATTACHED_BYTES, missing or unreadable are left out (the unreadable logged): the
 * message still goes, with its links.
 */
export async function readAlertImages(store: ObjectStore, views: readonly AlertView[], logger: Logger): Promise<AlertImage[]> {
  const images: AlertImage[] = []
  for (const view of views) {
    const alertNum = view.alert.imageEventAlertId
    const wanted: Array<[AlertImage['role'], string | null, string | null]> = [
      ['previous', view.previousImage?.imageObjectKey ?? null, view.previousImage?.imageFilename ?? null],
      ['image', view.image.imageObjectKey, view.image.imageFilename],
      ['difference', view.event.differenceImageObjectKey, null],
    ]
    for (const [role, key, filename] of wanted) {
      if (key === null || key === '') continue
      const contentType = contentTypeForKey(key)
      if (!INLINE_TYPES.has(contentType)) continue
      try {
        const stat = await store.stat(key)
        if (stat === null || stat.size > MAX_ATTACHED_BYTES) continue
        const bytes = await store.get(key)
        images.push({ alertNum, role, filename: attachmentName(role, alertNum, key, filename), contentType, bytes })
      } catch (error) {
        logger.warn({ err: error, key }, 'delivery: an image could not be read for attaching')
      }
    }
  }
  return images
}
