import { availableParallelism } from 'node:os'
import pMap from 'p-map'
import { describeError, ObjectNotFoundError, type ImgpipeError } from '../../core/errors.js'
import { encodeMessage, SCHEMA_VERSION, type ImageAnalysisMessage } from '../../core/messages.js'
import { assertValidStreamName, contentTypeForKey, imageObjectKey } from '../../core/object-keys.js'
import type { Catalog } from '../../core/ports/catalog.js'
import { DEFAULT_RECEIVE_OPTIONS, type ReceiveOptions } from '../../core/receive-options.js'
import type { ImageRecord, NewImage } from '../../core/types.js'
import { forEachPendingPage, retrying, type StageContext } from '../stage-context.js'
import { AnalysisDirCopy } from './analysis-dir-copy.js'
import { checkIncoming, sha256, type CheckedFields } from './check-incoming.js'
import type { IncomingImage } from './image-source.js'

export type ReceiveOutcome =
  /** Stored and published for analysis. */
  | { kind: 'received'; image: ImageRecord }
  /** Recorded with status failed (bad bytes); not published. */
  | { kind: 'failed'; image: ImageRecord; error: ImgpipeError }
  /** Already in the catalog (a re-run, or the same file ingested again): nothing written. */
  | { kind: 'duplicate'; image: ImageRecord }

/** One image of a window on its way through the stage. */
interface Item {
  incoming: IncomingImage
  contentSha256: string | null
  checked?: CheckedFields
}

/** An image whose row this window owns: its bytes (if any) go under the row's key, then the row is finished. */
interface Claim {
  index: number
  image: ImageRecord
  checked: CheckedFields
}

/**
 * The receive stage: records each incoming image (metadata row in the catalog, bytes in the object store
 * under a deterministic key) and asks for its analysis on `image_analysis`, keyed by stream.
 *
 * Images come in windows (see source-windows.ts) and every step below is one round trip for the whole window:
 * the duplicate look-up, the claim of the rows, the end of their `storing` state and the publish; only the puts
 * are one per image, several at a time.
 *
 * Order matters, for concurrency and for crash safety. The rows are inserted first, in the `storing` state:
 * the unique (stream, image_num) index gives each number and key to exactly one writer, so bytes are only
 * ever written under a name their own row owns (two ingests into one stream never overwrite each other).
 * Then the bytes are put, then the rows become `received` (or `failed`) and the messages are published, in
 * window order. A crash after the insert leaves `storing` rows: a re-run of the same source finds them and
 * finishes them, and `recover()` finishes those whose object is already complete; `recover()` also
 * republishes every image still `received`. Duplicate messages are harmless: the analyze stage is idempotent.
 */
export class ReceiveStage {
  /** The windows' limits and the puts in flight: the context's, or the defaults. */
  readonly options: ReceiveOptions
  /** With IMGPIPE_ANALYSIS_DIR, the copy of each default-stream image for the original's analysis client. */
  private readonly analysisCopy: AnalysisDirCopy | null

  constructor(private readonly context: StageContext) {
    this.options = context.receive ?? DEFAULT_RECEIVE_OPTIONS
    this.analysisCopy = AnalysisDirCopy.of(context)
  }

  /**
   * Finishes images left `storing` whose object holds their bytes (a crash between put and status update),
   * then republishes images recorded but never analysed: after a crash between insert and publish, or when
   * the bus lost its messages with the process (in-process bus). Duplicates are harmless (idempotent analysis).
   */
  async recover(): Promise<number> {
    await forEachPendingPage(
      this.context,
      (page) => this.context.catalog.listImagesByStatus('storing', page),
      (image) => image.imageId,
      async (images) => {
        for (const image of images) await this.#finishIfStored(image)
      },
    )
    const republished = await forEachPendingPage(
      this.context,
      (page) => this.context.catalog.listImagesByStatus('received', page),
      (image) => image.imageId,
      (images) => this.#publish(images),
    )
    if (republished > 0) this.context.logger.info({ republished }, 'receive: republished images awaiting analysis')
    return republished
  }

  async receive(incoming: IncomingImage): Promise<ReceiveOutcome> {
    const [outcome] = await this.receiveWindow([incoming])
    return outcome!
  }

  /** Receives a window of images; the outcomes are in the window's order. */
  async receiveWindow(window: readonly IncomingImage[]): Promise<ReceiveOutcome[]> {
    for (const incoming of window) assertValidStreamName(incoming.stream)
    const items: Item[] = window.map((incoming) => ({
      incoming,
      contentSha256: incoming.contentSha256 ?? (incoming.bytes === null ? null : sha256(incoming.bytes)),
    }))
    const outcomes = new Array<ReceiveOutcome | undefined>(items.length)
    const { unfinished, fresh, repeats } = await this.#sortOut(items, outcomes)
    await pMap(
      [...unfinished.keys(), ...fresh],
      async (index) => {
        const item = items[index]!
        item.checked = await checkIncoming(item.incoming, this.context.analysis, this.context.pixels?.handOver)
      },
      { concurrency: availableParallelism() },
    )
    const claims = [
      ...[...unfinished].map(([index, image]) => ({ index, image, checked: items[index]!.checked! })),
      ...(await this.#claim(items, fresh, outcomes)),
    ].sort((a, b) => a.index - b.index) // published in the window's order
    await this.#store(items, claims, outcomes)
    for (const [index, first] of repeats) {
      const image = outcomes[first]!.image
      outcomes[index] = { kind: 'duplicate', image }
    }
    return outcomes.map((outcome) => outcome!)
  }

  /**
   * Sorts a window's images into those already recorded (duplicates, or `storing` rows of an earlier run that
   * crashed before its bytes were stored: `unfinished`), repeats of an earlier image of the same window, and
   * `fresh` ones that need a row. Files carry no sequence number: the same bytes under the same name in the
   * same stream are the same image. A numbered source's image is looked up too, so that a re-run finishes a
   * `storing` row without an insert attempt (which would use up an id and shift every later id).
   */
  async #sortOut(
    items: readonly Item[],
    outcomes: (ReceiveOutcome | undefined)[],
  ): Promise<{ unfinished: Map<number, ImageRecord>; fresh: number[]; repeats: Map<number, number> }> {
    const { catalog } = this.context
    const lookups = items.flatMap(({ incoming, contentSha256 }) =>
      contentSha256 === null ? [] : [{ stream: incoming.stream, contentSha256, imageFilename: incoming.filename }],
    )
    const found = lookups.length === 0 ? [] : await retrying(this.context, 'duplicate check', () => catalog.findIngestedImages(lookups))
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
        const earlier = await retrying(this.context, 'duplicate check', () => catalog.findUnreadFile(incoming.stream, incoming.filename))
        if (earlier !== null) {
          outcomes[index] = { kind: 'duplicate', image: earlier }
          continue
        }
      }
      fresh.push(index)
    }
    return { unfinished, fresh, repeats }
  }

  /**
   * Inserts the fresh images' rows in one statement, in the `storing` state, each under its source's number or
   * the next free numbers of its stream. A number another writer took meanwhile is never touched: that image
   * is claimed again alone, on the next free number (a numbered source's image is then a duplicate).
   */
  async #claim(items: readonly Item[], fresh: readonly number[], outcomes: (ReceiveOutcome | undefined)[]): Promise<Claim[]> {
    const { catalog } = this.context
    const next = new Map<string, number>()
    const rows: NewImage[] = []
    for (const index of fresh) {
      const { incoming } = items[index]!
      let imageNum = incoming.imageNum
      if (imageNum === undefined) {
        imageNum = next.get(incoming.stream) ?? (await this.#nextNumber(incoming.stream))
        next.set(incoming.stream, imageNum + 1)
      }
      rows.push(this.#newRow(items[index]!, imageNum))
    }
    const stored = rows.length === 0 ? [] : await retrying(this.context, 'image insert', () => catalog.insertImages(rows))
    const claims: Claim[] = []
    for (const [position, index] of fresh.entries()) {
      const item = items[index]!
      const checked = item.checked!
      const image = stored[position]!
      const own = image.contentSha256 === item.contentSha256 && image.imageFilename === item.incoming.filename
      if (own && (image.status === 'storing' || item.incoming.bytes === null)) claims.push({ index, image, checked })
      else if (own || item.incoming.imageNum !== undefined) outcomes[index] = { kind: 'duplicate', image }
      else {
        const alone = await this.#claimAlone(item)
        if (alone.kind === 'claimed') claims.push({ index, image: alone.image, checked })
        else outcomes[index] = alone
      }
    }
    return claims
  }

  /** The row of an image: `storing` until its bytes are stored, or final at once when there are none. */
  #newRow({ incoming, contentSha256, checked }: Item, imageNum: number): NewImage {
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
  async #claimAlone(item: Item): Promise<{ kind: 'claimed'; image: ImageRecord } | { kind: 'duplicate'; image: ImageRecord }> {
    for (let attempt = 0; ; attempt += 1) {
      const row = this.#newRow(item, await this.#nextNumber(item.incoming.stream))
      const { image, created } = await retrying(this.context, 'image insert', () => this.context.catalog.insertImage(row))
      if (created) return { kind: 'claimed', image }
      if (image.contentSha256 !== item.contentSha256 && attempt < 1000) continue
      return { kind: 'duplicate', image }
    }
  }

  /** 1 + the stream's largest number: a guess that the claim confirms with the unique index. */
  #nextNumber(stream: string): Promise<number> {
    return retrying(this.context, 'numbering', () => this.context.catalog.nextImageNum(stream))
  }

  /** Puts the claimed bytes under the keys their rows own, finishes the rows, then publishes the received ones. */
  async #store(items: readonly Item[], claims: readonly Claim[], outcomes: (ReceiveOutcome | undefined)[]): Promise<void> {
    const { catalog, logger, store } = this.context
    const storing = claims.filter((claim) => claim.image.status === 'storing')
    await pMap(
      storing,
      async ({ index, image, checked }) => {
        const bytes = items[index]!.incoming.bytes!
        const key = image.imageObjectKey
        await retrying(this.context, 'object put', () => store.put(key, bytes, { contentType: contentTypeForKey(key) }))
        if (checked.error === null) await this.analysisCopy?.write(image, bytes)
      },
      { concurrency: this.options.putConcurrency },
    )
    const finished = new Map<number, ImageRecord>()
    for (const status of ['received', 'failed'] as const) {
      const ids = storing.filter((claim) => claim.checked.status === status).map((claim) => claim.image.imageId)
      if (ids.length === 0) continue
      const rows = await retrying(this.context, 'image status', () => catalog.finishStoringImages(ids, status))
      for (const row of rows) finished.set(row.imageId, row)
    }
    const published: ImageRecord[] = []
    for (const { index, image: claimed, checked } of claims) {
      const image = finished.get(claimed.imageId) ?? claimed
      if (checked.error !== null) {
        const error = checked.error
        logger.warn({ stream: image.stream, imageNum: image.imageNum, code: error.code }, `receive: ${describeError(error)}`)
        outcomes[index] = { kind: 'failed', image, error }
      } else if (image.status !== 'received') {
        // Finished by a racing writer of the same bytes, who also published it.
        outcomes[index] = { kind: 'duplicate', image }
      } else {
        outcomes[index] = { kind: 'received', image }
        published.push(image)
      }
    }
    if (published.length > 0) await this.#publish(published)
    logger.debug({ images: published.length }, 'receive: images recorded')
  }

  /** Recovery of a `storing` row without its source: done only when the object is there, whole and its own. */
  async #finishIfStored(image: ImageRecord): Promise<void> {
    let bytes: Buffer
    try {
      bytes = await retrying(this.context, 'object get', () => this.context.store.get(image.imageObjectKey))
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return // a re-run of its source will store it
      throw error
    }
    if (image.contentSha256 !== null && sha256(bytes) !== image.contentSha256) return
    const status = image.errorCode === null ? 'received' : 'failed'
    // Published by the pass over `received` images that follows in recover().
    await retrying(this.context, 'image status', () => this.context.catalog.finishStoringImage(image.imageId, status))
  }

  async #publish(images: readonly ImageRecord[]): Promise<void> {
    const messages = images.map((image) => {
      const message: ImageAnalysisMessage = {
        schema_version: SCHEMA_VERSION,
        image_id: image.imageId,
        image_num: image.imageNum,
        image_filename: image.imageFilename,
        stream: image.stream,
        image_object_key: image.imageObjectKey,
        received_at: image.receivedAt.toISOString(),
      }
      const analysisPath = this.analysisCopy?.pathOf(image) ?? null
      if (analysisPath !== null) message.image_analysis_path = analysisPath
      return { key: image.stream, value: encodeMessage(message) }
    })
    await retrying(this.context, 'publish', () => this.context.bus.publish(this.context.topics.imageAnalysis, messages))
  }
}

/**
 * Where a numbered source (the mock stream) resumes a stream: the first number still `storing` (claimed by a
 * run that died before its bytes were stored, which only the source can finish), else the next free number.
 */
export async function resumeImageNum(catalog: Catalog, stream: string): Promise<number> {
  let resume = await catalog.nextImageNum(stream)
  for (let afterId = 0; ;) {
    const page = await catalog.listImagesByStatus('storing', { limit: 500, afterId })
    if (page.length === 0) return resume
    for (const image of page) if (image.stream === stream && image.imageNum !== null) resume = Math.min(resume, image.imageNum)
    afterId = page[page.length - 1]!.imageId
  }
}
