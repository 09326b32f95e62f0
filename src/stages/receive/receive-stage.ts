import { createHash } from 'node:crypto'
import { inspectImage } from '../../analysis/decode-image.js'
import { describeError, type ImgpipeError, toImgpipeError } from '../../core/errors.js'
import { encodeMessage, SCHEMA_VERSION, type ImageAnalysisMessage } from '../../core/messages.js'
import { contentTypeForKey, extensionForFormat, imageObjectKey, assertValidStreamName } from '../../core/object-keys.js'
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

/**
 * The receive stage: records each incoming image (bytes in the object store under a deterministic key,
 * metadata row in the catalog) and asks for its analysis on `image_analysis`, keyed by stream.
 *
 * Order matters for crash safety: bytes first, then the row, then the message. A crash after the put
 * leaves an object that the re-run overwrites; after the insert, `recover()` republishes every image
 * still `received`. Duplicate messages are harmless: the analyze stage is idempotent.
 */
export class ReceiveStage {
  constructor(private readonly context: StageContext) {}

  /**
   * Republishes images recorded but never analysed: after a crash between insert and publish, or when the
   * bus lost its messages with the process (in-process bus). Duplicates are harmless (idempotent analysis).
   */
  async recover(): Promise<number> {
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
    const { catalog, logger } = this.context
    assertValidStreamName(incoming.stream)
    const bytes = incoming.bytes
    const contentSha256 = incoming.contentSha256 ?? (bytes === null ? null : createHash('sha256').update(bytes).digest('hex'))

    // Files carry no sequence number: the same bytes under the same name in the same stream are the same image.
    if (incoming.imageNum === undefined && contentSha256 !== null) {
      const existing = await retrying(this.context, 'duplicate check', () =>
        catalog.findIngestedImage(incoming.stream, contentSha256, incoming.filename),
      )
      if (existing !== null) return { kind: 'duplicate', image: existing }
    }

    const checked = await this.validate(incoming)
    const format = checked.ok ? checked.format : null
    for (let attempt = 0; ; attempt += 1) {
      const imageNum = incoming.imageNum ?? (await retrying(this.context, 'numbering', () => catalog.nextImageNum(incoming.stream)))
      const key = imageObjectKey(incoming.stream, imageNum, checked.ok ? extensionForFormat(format) : extensionOf(incoming.filename))
      if (bytes !== null) {
        await retrying(this.context, 'object put', () => this.context.store.put(key, bytes, { contentType: contentTypeForKey(key) }))
      }
      const row: NewImage = {
        stream: incoming.stream,
        imageNum,
        imageFilename: incoming.filename,
        imageObjectKey: key,
        contentSha256,
        byteSize: incoming.byteSize,
        width: checked.ok ? checked.width : null,
        height: checked.ok ? checked.height : null,
        format,
        status: checked.ok ? 'received' : 'failed',
        errorCode: checked.ok ? null : checked.error.code,
        errorMessage: checked.ok ? null : describeError(checked.error).slice(0, 1000),
      }
      const { image, created } = await retrying(this.context, 'image insert', () => catalog.insertImage(row))
      if (!created) {
        // A concurrent ingest took this number for other bytes: take the next one.
        if (incoming.imageNum === undefined && image.contentSha256 !== contentSha256 && attempt < 100) continue
        return { kind: 'duplicate', image }
      }
      if (!checked.ok) {
        logger.warn({ stream: image.stream, imageNum, code: checked.error.code }, `receive: ${describeError(checked.error)}`)
        return { kind: 'failed', image, error: checked.error }
      }
      await this.publish([image])
      logger.debug({ imageId: image.imageId, stream: image.stream, imageNum }, 'receive: image recorded')
      return { kind: 'received', image }
    }
  }

  private async validate(
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
      return { key: image.stream, value: encodeMessage(message) }
    })
    await retrying(this.context, 'publish', () => this.context.bus.publish(this.context.topics.imageAnalysis, messages))
  }
}

/** For files that are not images, keep their own extension (sanitised) so the stored object is recognisable. */
function extensionOf(filename: string): string {
  const match = /\.([A-Za-z0-9]{1,8})$/.exec(filename)
  return match === null ? 'bin' : match[1]!.toLowerCase()
}
