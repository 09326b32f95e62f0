import { Coalescer } from '../../core/coalescer.js'
import { derivativeObjectKey } from '../../core/object-keys.js'
import type { AnalyzerOutput, Derivative } from '../../core/ports/analyzer.js'
import type { DetectionInput } from '../../core/ports/object-ledger.js'
import type { DiffimRun, NewDerivative } from '../../core/ports/science-ledger.js'
import type { ImageEventRecord, ImageRecord } from '../../core/types.js'
import type { StageContext } from '../stage-context.js'
import type { ScienceContext } from './science-context.js'

/** As AnalysisWrites: a batch is at most the handlers in flight, and this bounds the SQL. */
const WRITE_BATCH_MAX = 64

/** Objects put at once per event: an event with 20 stamped detections has 120 of them, a few kB each. */
const PUT_CONCURRENCY = 8

/**
 * What difference imaging writes beyond the analysis and its event, coalesced across the stage's concurrent
 * handlers as AnalysisWrites does: runs with their fakes, the detections (associated with objects), the derivative
 * images' rows. Every write is idempotent on its natural key (a run per image, detections per image, a derivative
 * per event and name), so a redelivery or a recovery writes them again harmlessly.
 */
export class ScienceWrites {
  private readonly runs: Coalescer<DiffimRun, void>
  private readonly detections: Coalescer<readonly DetectionInput[], void>
  private readonly derivatives: Coalescer<readonly NewDerivative[], void>

  constructor(
    private readonly context: StageContext,
    private readonly science: ScienceContext,
  ) {
    const batches = { maxBatch: WRITE_BATCH_MAX }
    this.runs = new Coalescer(async (runs) => {
      await science.ledger.recordDiffimRuns(runs)
      return runs.map(() => undefined)
    }, batches)
    this.detections = new Coalescer(async (groups) => {
      await science.objects.associate(groups.flat())
      return groups.map(() => undefined)
    }, batches)
    this.derivatives = new Coalescer(async (groups) => {
      await science.ledger.recordDerivatives(groups.flat())
      return groups.map(() => undefined)
    }, batches)
  }

  /** The run and its fakes, before the analysis is recorded: a redelivery then finds which reference it used. */
  recordRun(image: ImageRecord, output: AnalyzerOutput): Promise<void> {
    if (output.run === undefined) return Promise.resolve()
    return this.runs.submit({ ...output.run, imageId: image.imageId })
  }

  /**
   * An event's detections and derivatives, all but the one shown as its difference image (the caller stores that
   * one and sets the event's key last, which marks the event finished): the detections associated with objects and
   * tied to the event, then every other derivative put under the event's name and recorded with its detection.
   */
  async finishEvent(event: ImageEventRecord, image: ImageRecord, output: AnalyzerOutput, shown: string): Promise<void> {
    const detections = output.detections ?? []
    if (detections.length > 0) {
      const observation = image.observation
      await this.detections.submit(
        detections.map((detection) => ({
          ...detection,
          imageId: image.imageId,
          imageEventId: event.imageEventId,
          stream: image.stream,
          // A FITS frame without DATE-OBS/MJD-OBS: the time it was received stands in (association orders by it).
          mjd: observation?.obsMjd ?? image.receivedAt.getTime() / 86_400_000 + 40_587,
          filter: observation?.filter ?? '',
        })),
      )
    }
    const others = output.derivatives.filter((derivative) => derivative.name !== shown)
    if (others.length === 0) return
    const sources =
      detections.length > 0 ? ((await this.science.objects.detectionsOfEvents([event.imageEventId])).get(event.imageEventId) ?? []) : []
    const rows: NewDerivative[] = []
    for (let start = 0; start < others.length; start += PUT_CONCURRENCY) {
      const slice = others.slice(start, start + PUT_CONCURRENCY)
      rows.push(...(await Promise.all(slice.map((derivative) => this.put(event, image, derivative, sources)))))
    }
    await this.derivatives.submit(rows)
  }

  private async put(
    event: ImageEventRecord,
    image: ImageRecord,
    derivative: Derivative,
    sources: readonly { sourceId: number }[],
  ): Promise<NewDerivative> {
    const objectKey = derivativeObjectKey(image.stream, event.imageEventId, derivative.name)
    await this.context.store.put(objectKey, derivative.bytes, { contentType: derivative.contentType })
    const sourceId = derivative.detection === undefined ? null : (sources[derivative.detection]?.sourceId ?? null)
    return { imageEventId: event.imageEventId, name: derivative.name, objectKey, contentType: derivative.contentType, sourceId }
  }
}
