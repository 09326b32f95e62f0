import { describeError, NotFoundError, toImgpipeError } from '../../core/errors.js'
import { referenceObjectKey } from '../../core/object-keys.js'
import type { AnalysisLedger } from '../../core/ports/analysis-ledger.js'
import type { AnalyzerImage } from '../../core/ports/analyzer.js'
import { isFloatPixels } from '../../core/ports/analyzer.js'
import type { Logger } from '../../core/logger.js'
import type { ObjectStore } from '../../core/ports/object-store.js'
import type { ReferenceKey, ReferenceRecord } from '../../core/ports/science-ledger.js'
import type { ImageRecord } from '../../core/types.js'
import { referenceKeyOf } from './choose-analyzer.js'
import type { PixelSource } from './pixel-source.js'
import type { ScienceContext } from './science-context.js'
import { ROW_WAIT_MS } from '../wait-for-row.js'

/**
 * A claim older than this is a dead builder's: a 4096² build of a handful of frames takes seconds (issue 18's bench),
 * so ten minutes is generous, and a field waits no longer than that for a builder that crashed.
 */
export const REFERENCE_CLAIM_STALE_MS = 10 * 60 * 1000

/** How far back through a stream the builder looks for a field's frames: streams interleave a few fields. */
const FRAME_SEARCH_LIMIT = 200

export interface ReferenceBuilderDeps {
  readonly catalog: Pick<AnalysisLedger, 'getImage' | 'findPreviousImage'>
  readonly store: ObjectStore
  readonly pixels: PixelSource
  readonly science: Pick<ScienceContext, 'ledger' | 'compute'>
  readonly logger: Logger
}

/**
 * Builds a field's reference from its frames: claims the next version (so two analyze processes, or a process and
 * `imgpipe reference build`, never build the same one), stacks the frames off the event loop, puts the FITS object
 * under the stream and marks the version ready. The analyze stage calls {@link autoBuild} for each science image of a
 * field that has none; the CLI calls {@link build} with frames it chose.
 */
export class ReferenceBuilder {
  /** Builds this process runs now, by field: its other handlers of that field wait for them instead of pixel-diff. */
  private readonly building = new Map<string, Promise<ReferenceRecord | null>>()

  constructor(private readonly deps: ReferenceBuilderDeps) {}

  /**
   * The field's reference, built now from its latest `frames` analysed images before `image` when it has that many;
   * null when it has fewer, when another process holds the claim, or when the build failed (logged: the image is
   * then analysed by pixel-diff, and the next one tries again once the claim is stale).
   */
  async autoBuild(image: ImageRecord, key: ReferenceKey, frames: number): Promise<ReferenceRecord | null> {
    if (frames <= 0 || image.imageNum === null) return null
    const name = JSON.stringify([key.stream, key.field, key.filter])
    // Each image looks for its own earlier frames (an image early in the stream has fewer than a later one); only a
    // build itself is shared with the other handlers of the field.
    const { found, pending } = await this.scanFrames(key, image.imageNum, frames)
    const running = this.building.get(name)
    if (running !== undefined) return running
    if (found.length < frames && found.length + pending >= frames) {
      // Enough frames of the field came before this one but some are still being analysed (concurrent handlers, the
      // first frames of a stream): wait for them (the message is retried) rather than give this frame to pixel-diff.
      throw new NotFoundError(`field ${key.field} (${key.filter}): ${pending} earlier frame(s) still being analysed for its reference`, {
        canRetry: true,
      })
    }
    if (found.length < frames) return null
    const build = this.tryBuild(key, found).finally(() => this.building.delete(name))
    this.building.set(name, build)
    return build
  }

  private async tryBuild(key: ReferenceKey, found: readonly ImageRecord[]): Promise<ReferenceRecord | null> {
    try {
      return await this.build(key, found)
    } catch (error) {
      const failure = toImgpipeError(error)
      if (failure.canRetry || failure.code === 'IMGPIPE_CLOSED') throw failure
      this.deps.logger.warn(
        { stream: key.stream, field: key.field, filter: key.filter, code: failure.code },
        `analyze: reference of field ${key.field} (${key.filter}) not built: ${describeError(failure)}`,
      )
      return null
    }
  }

  /** The latest `count` analysed images of the field before image number `before` (exclusive), newest first. */
  async framesOf(key: ReferenceKey, before: number, count: number): Promise<ImageRecord[]> {
    return (await this.scanFrames(key, before, count)).found
  }

  /**
   * {@link framesOf}, and how many frames of the field seen on the way are still to be analysed (received within
   * the last ROW_WAIT_MS: an older one waits for something that may never come, and is not counted).
   */
  private async scanFrames(key: ReferenceKey, before: number, count: number): Promise<{ found: ImageRecord[]; pending: number }> {
    const found: ImageRecord[] = []
    let pending = 0
    let cursor = before
    for (let looked = 0; looked < FRAME_SEARCH_LIMIT && found.length < count; looked += 1) {
      const previous = await this.deps.catalog.findPreviousImage(key.stream, cursor)
      if (previous === null || previous.imageNum === null) break
      cursor = previous.imageNum
      const itsKey = referenceKeyOf(previous)
      if (itsKey === null || itsKey.field !== key.field || itsKey.filter !== key.filter) continue
      if (previous.status === 'analyzed') found.push(previous)
      else if (previous.status !== 'failed' && Date.now() - previous.receivedAt.getTime() < ROW_WAIT_MS) pending += 1
    }
    return { found, pending }
  }

  /** Claims, builds, stores and finishes the next version from these frames; null when another process holds the claim. */
  async build(key: ReferenceKey, frames: readonly ImageRecord[]): Promise<ReferenceRecord | null> {
    if (frames.length === 0) throw new NotFoundError(`no frames of field ${key.field} (${key.filter}) in stream ${key.stream}`)
    const { science, store, logger } = this.deps
    const claim = await science.ledger.claimReference(key, REFERENCE_CLAIM_STALE_MS)
    if (claim === null) return null
    const images = await this.load(frames)
    const built = await science.compute.buildReference(images)
    const objectKey = referenceObjectKey(key.stream, claim.referenceId)
    await store.put(objectKey, built.bytes, { contentType: 'application/fits' })
    const ready = await science.ledger.finishReference(claim.referenceId, {
      objectKey,
      frames: built.frames,
      fwhm: built.fwhm,
      imageIds: frames.map((frame) => frame.imageId),
    })
    logger.info(
      { referenceId: ready.referenceId, stream: key.stream, field: key.field, filter: key.filter, frames: built.frames },
      `reference ${ready.referenceId} of field ${key.field} (${key.filter}) built from ${built.frames} frames, version ${ready.version}`,
    )
    return ready
  }

  /** Oldest first: the builder resamples onto the first frame's grid, and the order makes a rebuild identical. */
  private async load(frames: readonly ImageRecord[]): Promise<AnalyzerImage[]> {
    const sorted = [...frames].sort((a, b) => a.imageId - b.imageId)
    const images: AnalyzerImage[] = []
    for (const record of sorted) {
      const pixels = await this.deps.pixels.pixels(record)
      if (!isFloatPixels(pixels)) throw new NotFoundError(`image ${record.imageId} is not a FITS image: no reference from it`)
      images.push({ record, pixels })
    }
    return images
  }
}
