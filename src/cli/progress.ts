import cliProgress from 'cli-progress'
import type { PipelineCounts } from '../core/types.js'

/**
 * A progress bar on stderr when it is a terminal; silent otherwise (CI logs, pipes), so that long runs
 * show where they are without polluting captured output.
 */
export class PipelineProgress {
  private readonly bar: cliProgress.SingleBar | null
  private total: number

  constructor(total: number, enabled = process.stderr.isTTY === true) {
    this.total = total
    this.bar = enabled
      ? new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: ' {bar} {percentage}% | {value}/{total} done | received {received} | events {events} | alerts {alerts} | failed {failed}',
            hideCursor: true,
            clearOnComplete: false,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        )
      : null
    this.bar?.start(Math.max(total, 1), 0, { received: 0, events: 0, alerts: 0, failed: 0 })
  }

  get active(): boolean {
    return this.bar !== null
  }

  received(count: number): void {
    this.bar?.update({ received: count })
  }

  update(counts: PipelineCounts): void {
    if (this.bar === null) return
    const done = counts.imagesAnalyzed + counts.imagesFailed
    if (done > this.total) {
      this.total = done
      this.bar.setTotal(done)
    }
    this.bar.update(done, { events: counts.events, alerts: counts.alerts, failed: counts.imagesFailed })
  }

  stop(): void {
    this.bar?.stop()
  }
}
