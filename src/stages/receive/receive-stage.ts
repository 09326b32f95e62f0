import { createHash, randomUUID } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { inspectImage } from '../../analysis/decode-image.js'
import { describeError, ImgpipeError, ObjectNotFoundError, toImgpipeError } from '../../core/errors.js'
import { encodeMessage, SCHEMA_VERSION, type ImageAnalysisMessage } from '../../core/messages.js'
import { assertValidStreamName, contentTypeForKey, DEFAULT_STREAM, extensionForFormat, imageObjectKey } from '../../core/object-keys.js'
import type { Catalog } from '../../core/ports/catalog.js'
import type { ImageRecord, NewImage } from '../../core/types.js'
import { forEachPendingPage, retrying, type StageContext } from '../stage-context.js'
import type { IncomingImage } from './image-source.js'

export type ReceiveOutcome =
  /** Stored and published for analysis. */
  | { kind: 'received'; image: ImageRecord }
  /** Recorded with status failed (bad bytes); not published. */
  | { kind: 'failed'; image: ImageRecord; error: ImgpipeError }
  /** Already in the catalog (a re-run, or the same file ingested again): nothing written. */
  | { kind: 'duplicate'; image: ImageRecord }

/** What validation learnt about an image: the row's fields that depend on its bytes. */
type CheckedFields = Pick<NewImage, 'width' | 'height' | 'format' | 'errorCode' | 'errorMessage'> & {
  /** The status the image gets once its bytes are stored. */
  status: 'received' | 'failed'
  extension: string
  error: ImgpipeError | null
}

/**
 * The receive stage: records each incoming image (metadata row in the catalog, bytes in the object store
 * under a deterministic key) and asks for its analysis on `image_analysis`, keyed by stream.
 *
 * Order matters, for concurrency and for crash safety. The row is inserted first, in the `storing` state:
 * the unique (stream, image_num) index gives its number and key to exactly one writer, so bytes are only
 * ever written under a name their own row owns (two ingests into one stream never overwrite each other).
 * Then the bytes are put, then the row becomes `received` (or `failed`) and the message is published.
 * A crash after the insert leaves a `storing` row: a re-run of the same source finds it and finishes it,
 * and `recover()` finishes those whose object is already complete; `recover()` also republishes every image
 * still `received`. Duplicate messages are harmless: the analyze stage is idempotent.
 */
export class ReceiveStage {
  constructor(private readonly context: StageContext) {}

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
        for (const image of images) await this.finishIfStored(image)
      },
    )
    const republished = await forEachPendingPage(
      this.context,
      (page) => this.context.catalog.listImagesByStatus('received', page),
      (image) => image.imageId,
      (images) => this.publish(images),
    )
    if (republished > 0) this.context.logger.info({ republished }, 'receive: republished images awaiting analysis')
    return republished
  }

  async receive(incoming: IncomingImage): Promise<ReceiveOutcome> {
    assertValidStreamName(incoming.stream)
    const bytes = incoming.bytes
    const contentSha256 = incoming.contentSha256 ?? (bytes === null ? null : sha256(bytes))

    // Files carry no sequence number: the same bytes under the same name in the same stream are the same image.
    // A numbered source's image is found too, so that a re-run finishes a `storing` row without an insert
    // attempt (which would use up an id on SQLite and shift every later id).
    if (contentSha256 !== null) {
      const found = await retrying(this.context, 'duplicate check', () =>
        this.context.catalog.findIngestedImage(incoming.stream, contentSha256, incoming.filename),
      )
      const existing = incoming.imageNum === undefined || found?.imageNum === incoming.imageNum ? found : null
      if (existing !== null) {
        // A `storing` row is an earlier run's claim that crashed before its bytes were stored: finish it.
        if (existing.status === 'storing' && bytes !== null) return this.store(existing, bytes, await this.validate(incoming))
        return { kind: 'duplicate', image: existing }
      }
    }
    // A file that could not be read has no hash: its earlier failed row is found by name instead.
    if (incoming.imageNum === undefined && contentSha256 === null && incoming.readError !== undefined) {
      const earlier = await retrying(this.context, 'duplicate check', () =>
        this.context.catalog.findUnreadFile(incoming.stream, incoming.filename),
      )
      if (earlier !== null) return { kind: 'duplicate', image: earlier }
    }

    const checked = await this.validate(incoming)
    const claimed = await this.claim(incoming, contentSha256, checked)
    if (claimed.kind === 'duplicate') return claimed
    if (bytes === null) return this.finish(claimed.image, checked)
    return this.store(claimed.image, bytes, checked)
  }

  /**
   * Inserts the row in the `storing` state under the next free number of its stream (or the source's own
   * number). Another writer's row on that number is never touched: a file moves on to the next number.
   */
  private async claim(
    incoming: IncomingImage,
    contentSha256: string | null,
    checked: CheckedFields,
  ): Promise<{ kind: 'claimed'; image: ImageRecord } | { kind: 'duplicate'; image: ImageRecord }> {
    const { catalog } = this.context
    for (let attempt = 0; ; attempt += 1) {
      const imageNum = incoming.imageNum ?? (await this.nextNumber(incoming.stream))
      const row: NewImage = {
        stream: incoming.stream,
        imageNum,
        imageFilename: incoming.filename,
        imageObjectKey: imageObjectKey(incoming.stream, imageNum, checked.extension),
        contentSha256,
        byteSize: incoming.byteSize,
        width: checked.width,
        height: checked.height,
        format: checked.format,
        // Without bytes there is nothing to store: the row is final at once.
        status: incoming.bytes === null ? checked.status : 'storing',
        errorCode: checked.errorCode,
        errorMessage: checked.errorMessage,
      }
      const { image, created } = await retrying(this.context, 'image insert', () => catalog.insertImage(row))
      if (created) return { kind: 'claimed', image }
      // A concurrent ingest took this number for other bytes: take the next one.
      if (incoming.imageNum === undefined && image.contentSha256 !== contentSha256 && attempt < 1000) continue
      // The source's own number, already recorded: a re-run. One that crashed while storing is finished now.
      if (image.status === 'storing' && image.contentSha256 === contentSha256) return { kind: 'claimed', image }
      return { kind: 'duplicate', image }
    }
  }

  /** 1 + the stream's largest number: a guess that `claim` confirms with the unique index. */
  private nextNumber(stream: string): Promise<number> {
    return retrying(this.context, 'numbering', () => this.context.catalog.nextImageNum(stream))
  }

  /** Puts the bytes under the key the row owns, then finishes the row. */
  private async store(image: ImageRecord, bytes: Buffer, checked: CheckedFields): Promise<ReceiveOutcome> {
    const key = image.imageObjectKey
    await retrying(this.context, 'object put', () => this.context.store.put(key, bytes, { contentType: contentTypeForKey(key) }))
    const copy = this.analysisPath(image)
    if (copy !== null && checked.error === null) await writeAnalysisCopy(copy, bytes)
    return this.finish(image, checked)
  }

  private async finish(claimed: ImageRecord, checked: CheckedFields): Promise<ReceiveOutcome> {
    const { catalog, logger } = this.context
    const image =
      claimed.status === 'storing'
        ? await retrying(this.context, 'image status', () => catalog.finishStoringImage(claimed.imageId, checked.status))
        : claimed
    if (checked.error !== null) {
      const error = checked.error
      logger.warn({ stream: image.stream, imageNum: image.imageNum, code: error.code }, `receive: ${describeError(error)}`)
      return { kind: 'failed', image, error }
    }
    // Finished by a racing writer of the same bytes, who also published it.
    if (image.status !== 'received') return { kind: 'duplicate', image }
    await this.publish([image])
    logger.debug({ imageId: image.imageId, stream: image.stream, imageNum: image.imageNum }, 'receive: image recorded')
    return { kind: 'received', image }
  }

  /** Recovery of a `storing` row without its source: done only when the object is there, whole and its own. */
  private async finishIfStored(image: ImageRecord): Promise<void> {
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

  /** Reads what the row needs from the bytes; a bad image is not an error of the stage but a failed row. */
  private async validate(incoming: IncomingImage): Promise<CheckedFields> {
    const result = await this.inspect(incoming)
    if (result.ok) {
      return {
        status: 'received',
        width: result.width,
        height: result.height,
        format: result.format,
        extension: extensionForFormat(result.format),
        errorCode: null,
        errorMessage: null,
        error: null,
      }
    }
    return {
      status: 'failed',
      width: null,
      height: null,
      format: null,
      extension: extensionOf(incoming.filename),
      errorCode: result.error.code,
      errorMessage: describeError(result.error).slice(0, 1000),
      error: result.error,
    }
  }

  private async inspect(
    incoming: IncomingImage,
  ): Promise<{ ok: true; format: string; width: number; height: number } | { ok: false; error: ImgpipeError }> {
    if (incoming.readError !== undefined) return { ok: false, error: incoming.readError }
    if (incoming.known !== undefined) return { ok: true, ...incoming.known }
    if (incoming.bytes === null) return { ok: false, error: toImgpipeError(new Error('no bytes')) }
    try {
      return { ok: true, ...(await inspectImage(incoming.bytes, this.context.analysis)) }
    } catch (error) {
      const failure = toImgpipeError(error)
      if (failure.canRetry) throw failure
      return { ok: false, error: failure }
    }
  }

  /**
   * With IMGPIPE_ANALYSIS_DIR, where the original's analysis client finds an image of the default stream:
   * `<dir>/image_NNNNN.<ext>` (it reads the previous image from the same folder by number).
   */
  private analysisPath(image: ImageRecord): string | null {
    const dir = this.context.analysis.analysisDir
    if (dir === null || image.stream !== DEFAULT_STREAM || image.imageNum === null) return null
    return path.join(dir, path.posix.basename(image.imageObjectKey))
  }

  private async publish(images: readonly ImageRecord[]): Promise<void> {
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
      const analysisPath = this.analysisPath(image)
      if (analysisPath !== null) message.image_analysis_path = analysisPath
      return { key: image.stream, value: encodeMessage(message) }
    })
    await retrying(this.context, 'publish', () => this.context.bus.publish(this.context.topics.imageAnalysis, messages))
  }
}

/** For files that are not images, keep their own extension (sanitised) so the stored object is recognisable. */
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

/** Written whole or not at all (temp file, rename): the original's client may read it at any moment. */
async function writeAnalysisCopy(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true })
    const temporary = `${file}.imgpipe-tmp-${process.pid}-${randomUUID()}`
    await writeFile(temporary, bytes)
    await rename(temporary, file)
  } catch (error) {
    throw new ImgpipeError('IMGPIPE_INTERNAL', `cannot write ${file} (IMGPIPE_ANALYSIS_DIR): ${describeError(error)}`, false, {
      cause: error,
    })
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function extensionOf(filename: string): string {
  const match = /\.([A-Za-z0-9]{1,8})$/.exec(filename)
  return match === null ? 'bin' : match[1]!.toLowerCase()
}
