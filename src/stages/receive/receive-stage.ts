import { availableParallelism } from 'node:os'
import pMap from 'p-map'
import { describeError } from '../../core/errors.js'
import { assertValidStreamName } from '../../core/object-keys.js'
import { DEFAULT_RECEIVE_OPTIONS, type ReceiveOptions } from '../../core/receive-options.js'
import type { ImageRecord } from '../../core/types.js'
import { forEachPendingPage, type StageContext } from '../stage-context.js'
import type { ReceiveLedger } from '../../core/ports/receive-ledger.js'
import { AnalysisDirCopy } from './analysis-dir-copy.js'
import { checkIncoming, sha256 } from './check-incoming.js'
import { claimWindow } from './claim-window.js'
import { dedupeWindow } from './dedupe-window.js'
import type { IncomingImage } from './image-source.js'
import { publishForAnalysis } from './publish-for-analysis.js'
import { storeClaims } from './store-claims.js'
import { finishIfStored } from './storing-recovery.js'
import type { Claim, ReceiveOutcome, WindowItem, WindowOutcomes } from './window-item.js'

export type { ReceiveOutcome } from './window-item.js'
export { resumeImageNum } from './storing-recovery.js'

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

  constructor(private readonly context: StageContext<ReceiveLedger>) {
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
        for (const image of images) await finishIfStored(this.context, image)
      },
    )
    const republished = await forEachPendingPage(
      this.context,
      (page) => this.context.catalog.listImagesByStatus('received', page),
      (image) => image.imageId,
      (images) => publishForAnalysis(this.context, images, this.analysisCopy),
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
    const items: WindowItem[] = window.map((incoming) => ({
      incoming,
      contentSha256: incoming.contentSha256 ?? (incoming.bytes === null ? null : sha256(incoming.bytes)),
    }))
    const outcomes: WindowOutcomes = new Array<ReceiveOutcome | undefined>(items.length)
    const { unfinished, fresh, repeats } = await dedupeWindow(this.context, items, outcomes)
    await this.#check(items, [...unfinished.keys(), ...fresh])
    const claims = [
      ...[...unfinished].map(([index, image]) => ({ index, image, checked: items[index]!.checked! })),
      ...(await claimWindow(this.context, items, fresh, outcomes)),
    ].sort((a, b) => a.index - b.index) // published in the window's order
    const finished = await storeClaims(this.context, items, claims, {
      putConcurrency: this.options.putConcurrency,
      analysisCopy: this.analysisCopy,
    })
    await this.#settle(claims, finished, outcomes)
    for (const [index, first] of repeats) outcomes[index] = { kind: 'duplicate', image: outcomes[first]!.image }
    return outcomes.map((outcome) => outcome!)
  }

  /** Checks the bytes of the images that will be stored (format, size, FITS header), on every core. */
  async #check(items: WindowItem[], indexes: readonly number[]): Promise<void> {
    await pMap(
      indexes,
      async (index) => {
        const item = items[index]!
        item.checked = await checkIncoming(item.incoming, this.context.analysis, this.context.pixels?.handOver)
      },
      { concurrency: availableParallelism() },
    )
  }

  /** The claims' outcomes, from their finished rows; the received ones are published, in window order. */
  async #settle(claims: readonly Claim[], finished: ReadonlyMap<number, ImageRecord>, outcomes: WindowOutcomes): Promise<void> {
    const published: ImageRecord[] = []
    for (const { index, image: claimed, checked } of claims) {
      const image = finished.get(claimed.imageId) ?? claimed
      if (checked.error !== null) {
        const error = checked.error
        this.context.logger.warn({ stream: image.stream, imageNum: image.imageNum, code: error.code }, `receive: ${describeError(error)}`)
        outcomes[index] = { kind: 'failed', image, error }
      } else if (image.status !== 'received') {
        // Finished by a racing writer of the same bytes, who also published it.
        outcomes[index] = { kind: 'duplicate', image }
      } else {
        outcomes[index] = { kind: 'received', image }
        published.push(image)
      }
    }
    if (published.length > 0) await publishForAnalysis(this.context, published, this.analysisCopy)
    this.context.logger.debug({ images: published.length }, 'receive: images recorded')
  }
}
