import { imageObjectKey } from '../../core/object-keys.js'
import type { ImageRecord, NewImage } from '../../core/types.js'
import type { ReceiveLedger } from '../../core/ports/receive-ledger.js'
import { retrying, type StageContext } from '../stage-context.js'
import type { Claim, WindowItem, WindowOutcomes } from './window-item.js'

/**
 * The claim race with other writers of the same streams. Inserts the fresh images' rows in one statement, in the
 * `storing` state, each under its source's number or the next free numbers of its stream: the unique
 * (stream, image_num) index gives each number and key to exactly one writer. A number another writer took
 * meanwhile is never touched: that image is claimed again alone, on the next free number (a numbered source's
 * image is then a duplicate, whose outcome is set here). Returns the claims this window won.
 */
export async function claimWindow(
  context: StageContext<ReceiveLedger>,
  items: readonly WindowItem[],
  fresh: readonly number[],
  outcomes: WindowOutcomes,
): Promise<Claim[]> {
  const next = new Map<string, number>()
  const rows: NewImage[] = []
  for (const index of fresh) {
    const { incoming } = items[index]!
    let imageNum = incoming.imageNum
    if (imageNum === undefined) {
      imageNum = next.get(incoming.stream) ?? (await nextNumber(context, incoming.stream))
      next.set(incoming.stream, imageNum + 1)
    }
    rows.push(newRow(items[index]!, imageNum))
  }
  const stored = rows.length === 0 ? [] : await retrying(context, 'image insert', () => context.catalog.insertImages(rows))
  const claims: Claim[] = []
  for (const [position, index] of fresh.entries()) {
    const item = items[index]!
    const checked = item.checked!
    const image = stored[position]!
    if (isOwnClaim(image, item)) claims.push({ index, image, checked })
    else if (isOwnRow(image, item) || item.incoming.imageNum !== undefined) outcomes[index] = { kind: 'duplicate', image }
    else {
      const alone = await claimAlone(context, item)
      if (alone.kind === 'claimed') claims.push({ index, image: alone.image, checked })
      else outcomes[index] = alone
    }
  }
  return claims
}

/** The stored row holds this item's bytes under its name (this run's insert, or an earlier run's). */
function isOwnRow(image: ImageRecord, item: WindowItem): boolean {
  return image.contentSha256 === item.contentSha256 && image.imageFilename === item.incoming.filename
}

/** The row is this item's claim to finish: its own, and still `storing` unless the item has no bytes to store. */
function isOwnClaim(image: ImageRecord, item: WindowItem): boolean {
  return isOwnRow(image, item) && (image.status === 'storing' || item.incoming.bytes === null)
}

/** The row of an image: `storing` until its bytes are stored, or final at once when there are none. */
function newRow({ incoming, contentSha256, checked }: WindowItem, imageNum: number): NewImage {
  return {
    stream: incoming.stream,
    imageNum,
    imageFilename: incoming.filename,
    imageObjectKey: imageObjectKey(incoming.stream, imageNum, checked!.extension),
    contentSha256,
    byteSize: incoming.byteSize,
    width: checked!.width,
    height: checked!.height,
    format: checked!.format,
    status: incoming.bytes === null ? checked!.status : 'storing',
    errorCode: checked!.errorCode,
    errorMessage: checked!.errorMessage,
    observation: checked!.observation,
  }
}

/** A file whose number a concurrent writer took: one row at a time, on the next free number, until it holds. */
async function claimAlone(
  context: StageContext<ReceiveLedger>,
  item: WindowItem,
): Promise<{ kind: 'claimed'; image: ImageRecord } | { kind: 'duplicate'; image: ImageRecord }> {
  for (let attempt = 0; ; attempt += 1) {
    const row = newRow(item, await nextNumber(context, item.incoming.stream))
    const [image] = await retrying(context, 'image insert', () => context.catalog.insertImages([row]))
    // A window of one: the row is ours when it has our bytes and name and is still `storing` (or final at once
    // for an image without bytes), as in claimWindow; a row another writer holds on that number is theirs.
    if (isOwnClaim(image!, item)) return { kind: 'claimed', image: image! }
    if (image!.contentSha256 !== item.contentSha256 && attempt < 1000) continue
    return { kind: 'duplicate', image: image! }
  }
}

/** 1 + the stream's largest number: a guess that the claim confirms with the unique index. */
function nextNumber(context: StageContext<ReceiveLedger>, stream: string): Promise<number> {
  return retrying(context, 'numbering', () => context.catalog.nextImageNum(stream))
}
