import { Coalescer } from '../../core/coalescer.js'
import { encodeMessage, SCHEMA_VERSION, type ImageEventAlertMessage } from '../../core/messages.js'
import type { BusMessage } from '../../core/ports/bus.js'
import type { AnalysisWrite, AnalysisWriteOutcome } from '../../core/ports/catalog.js'
import type { AnalysisLedger } from '../../core/ports/analysis-ledger.js'
import type { ImageEventRecord, ImageRecord } from '../../core/types.js'
import type { StageContext } from '../stage-context.js'

/** Most analyses written in one statement: a batch is at most the handlers in flight, and this bounds the SQL. */
const WRITE_BATCH_MAX = 64

/**
 * What the analyze stage writes, coalesced across its concurrent handlers. The analyses go to the catalog together:
 * one UPDATE (and one event INSERT) per batch instead of a transaction of four statements per image. A batch that
 * fails for one image's sake (its row gone) is written again image by image, so that only that image's handler
 * fails. Likewise the difference image keys of events whose object is stored, and their alert requests: one produce
 * for the events finished together (a produce is a round trip, acks all).
 */
export class AnalysisWrites {
  private readonly writes: Coalescer<AnalysisWrite, AnalysisWriteOutcome>
  private readonly keys: Coalescer<{ imageEventId: number; differenceImageObjectKey: string }, ImageEventRecord>
  private readonly alerts: Coalescer<BusMessage, void>

  constructor(private readonly context: StageContext<AnalysisLedger>) {
    const batches = { maxBatch: WRITE_BATCH_MAX }
    this.writes = new Coalescer((writes) => context.catalog.recordAnalyses(writes), batches)
    this.keys = new Coalescer((keys) => context.catalog.setEventDifferenceKeys(keys), batches)
    this.alerts = new Coalescer(async (messages) => {
      await context.bus.publish(context.topics.imageEventAlert, messages)
      return messages.map(() => undefined)
    }, batches)
  }

  /** The analysis on the image's row and, with an event, the event row (without its difference image key yet). */
  recordAnalysis(write: AnalysisWrite): Promise<AnalysisWriteOutcome> {
    return this.writes.submit(write)
  }

  setDifferenceKey(imageEventId: number, differenceImageObjectKey: string): Promise<ImageEventRecord> {
    return this.keys.submit({ imageEventId, differenceImageObjectKey })
  }

  /** Publishes the alert request of an event that has its difference image (one without is not alerted yet). */
  async publishAlert(event: ImageEventRecord, known?: ImageRecord): Promise<void> {
    // An event without its difference image is not alerted: recovery (or the original's client) finishes it first.
    if (event.differenceImageObjectKey === null) return
    const image = known ?? (await this.context.catalog.getImage(event.imageId))
    const message: ImageEventAlertMessage = {
      schema_version: SCHEMA_VERSION,
      image_event_id: event.imageEventId,
      image_id: event.imageId,
      stream: image?.stream ?? 'default',
      image_num: image?.imageNum ?? null,
      difference_image_object_key: event.differenceImageObjectKey,
      event_type: event.eventType,
      detected_at: event.detectedAt.toISOString(),
    }
    await this.alerts.submit({ key: message.stream, value: encodeMessage(message) })
  }
}
