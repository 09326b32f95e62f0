import cliProgress from 'cli-progress'
import type { PipelineCounts } from '../core/types.js'

/**
 * A progress bar on stderr when it is a terminal; silent otherwise (CI logs, pipes), so that long runs
 * show where they are without polluting captured output.
 */
export class PipelineProgress {
  private readonly bar: cliProgress.SingleBar | null
  private readonly total: number

  /**
   * @param total new images expected
   * @param analysedBefore images already analysed or failed when the run started, when this process analyses
   *   (the bar then follows the analysis); null when it only receives (the bar follows what it received)
   * @param stream where to draw: stderr when it is a terminal, else nowhere
   */
  constructor(
    total: number,
    private readonly analysedBefore: number | null,
    stream: NodeJS.WriteStream | null = process.stderr.isTTY === true ? process.stderr : null,
  ) {
    this.total = total
    this.bar =
      stream === null
        ? null
        : new cliProgress.SingleBar(
            {
              stream,
              format:
                ' {bar} {percentage}% | {value}/{total} done | received {received} | events {events} | alerts {alerts} | failed {failed}',
              hideCursor: true,
              clearOnComplete: false,
              etaBuffer: 50,
            },
            cliProgress.Presets.shades_classic,
          )
    this.bar?.start(Math.max(total, 1), 0, { received: 0, events: 0, alerts: 0, failed: 0 })
  }

  received(count: number): void {
    if (this.analysedBefore === null) this.bar?.update(Math.min(count, this.total), { received: count })
    else this.bar?.update({ received: count })
  }

  update(counts: PipelineCounts): void {
    if (this.bar === null) return
    const payload = { events: counts.events, alerts: counts.alerts, failed: counts.imagesFailed }
    if (this.analysedBefore === null) return this.bar.update(payload)
    // Images re-queued from an earlier run count too, so the bar may reach its end a little early.
    const done = Math.min(this.total, counts.imagesAnalyzed + counts.imagesFailed - this.analysedBefore)
    this.bar.update(Math.max(0, done), payload)
  }

  stop(): void {
    this.bar?.stop()
  }
}
