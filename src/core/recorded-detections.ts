import type { DetectionInput } from './ports/object-ledger.js'

/**
 * Per-image idempotency: detections of an image that has recorded sources are not associated again; the k-th of
 * them in the batch gets the object of the image's k-th recorded source (the last one's if the retry found more).
 */
export function splitRecorded(
  detections: readonly DetectionInput[],
  recorded: ReadonlyMap<number, readonly number[]>,
): { fresh: number[]; replayed: Map<number, number> } {
  const fresh: number[] = []
  const replayed = new Map<number, number>()
  const seen = new Map<number, number>()
  detections.forEach((detection, at) => {
    const ids = detection.imageId === null ? undefined : recorded.get(detection.imageId)
    if (ids === undefined || ids.length === 0) {
      fresh.push(at)
      return
    }
    const k = seen.get(detection.imageId!) ?? 0
    seen.set(detection.imageId!, k + 1)
    replayed.set(at, ids[Math.min(k, ids.length - 1)]!)
  })
  return { fresh, replayed }
}
