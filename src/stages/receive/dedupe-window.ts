import type { ImageRecord } from '../../core/types.js'
import type { ReceiveLedger } from '../../core/ports/receive-ledger.js'
import { retrying, type StageContext } from '../stage-context.js'
import type { WindowItem, WindowOutcomes } from './window-item.js'

/** A window sorted out: what needs checking and a row, and what is settled already. */
export interface SortedWindow {
  /** `storing` rows of an earlier run that crashed before its bytes were stored: this window finishes them. */
  unfinished: Map<number, ImageRecord>
  /** Images that need a row. */
  fresh: number[]
  /** Repeats of an earlier image of the same window: index → the earlier one's index (same outcome). */
  repeats: Map<number, number>
}

/**
 * Sorts a window's images into those already recorded (duplicates, whose outcome is set here, or `unfinished`),
 * repeats within the window, and `fresh` ones, with one catalog look-up for the window. Files carry no sequence
 * number: the same bytes under the same name in the same stream are the same image. A numbered source's image is
 * looked up too, so that a re-run finishes a `storing` row without an insert attempt (which would use up an id and
 * shift every later id).
 */
export async function dedupeWindow(
  context: StageContext<ReceiveLedger>,
  items: readonly WindowItem[],
  outcomes: WindowOutcomes,
): Promise<SortedWindow> {
  const { catalog } = context
  const lookups = items.flatMap(({ incoming, contentSha256 }) =>
    contentSha256 === null ? [] : [{ stream: incoming.stream, contentSha256, imageFilename: incoming.filename }],
  )
  const found = lookups.length === 0 ? [] : await retrying(context, 'duplicate check', () => catalog.findIngestedImages(lookups))
  const unfinished = new Map<number, ImageRecord>()
  const fresh: number[] = []
  const repeats = new Map<number, number>()
  const firstIndex = new Map<string, number>()
  for (const [index, { incoming, contentSha256 }] of items.entries()) {
    const identity = [incoming.stream, incoming.imageNum ?? '', contentSha256 ?? '', incoming.filename].join('\u0000')
    const first = firstIndex.get(identity)
    if (first !== undefined) {
      repeats.set(index, first)
      continue
    }
    firstIndex.set(identity, index)
    const existing = found.find(
      (image) =>
        image.stream === incoming.stream &&
        image.contentSha256 === contentSha256 &&
        image.imageFilename === incoming.filename &&
        (incoming.imageNum === undefined || image.imageNum === incoming.imageNum),
    )
    if (existing !== undefined) {
      if (existing.status === 'storing' && incoming.bytes !== null) unfinished.set(index, existing)
      else outcomes[index] = { kind: 'duplicate', image: existing }
      continue
    }
    // A file that could not be read has no hash: its earlier failed row is found by name instead.
    if (incoming.imageNum === undefined && contentSha256 === null && incoming.readError !== undefined) {
      const earlier = await retrying(context, 'duplicate check', () => catalog.findUnreadFile(incoming.stream, incoming.filename))
      if (earlier !== null) {
        outcomes[index] = { kind: 'duplicate', image: earlier }
        continue
      }
    }
    fresh.push(index)
  }
  return { unfinished, fresh, repeats }
}
