import cliProgress from 'cli-progress'

export interface CountProgressOptions {
  /** What is being done, e.g. `deleting`. */
  label: string
  /** What is counted, e.g. `objects`. */
  unit: string
  /** How many there are; null while unknown (e.g. during a listing): the count is shown without a bar. */
  total: number | null
  /** Erase the line when stopped (a listing that only precedes the real work); default false. */
  clearWhenDone?: boolean
  /** Default: stderr is a terminal. */
  enabled?: boolean
}

/**
 * A progress display for "N of M things done" (objects listed, objects deleted) on stderr when it is a
 * terminal, silent otherwise, so that captured output and CI logs stay clean.
 */
export class CountProgress {
  private readonly bar: cliProgress.SingleBar | null
  private value = 0

  constructor(options: CountProgressOptions) {
    const enabled = options.enabled ?? process.stderr.isTTY === true
    const format =
      options.total === null
        ? ` ${options.label} {value} ${options.unit}…`
        : ` ${options.label} {bar} {percentage}% | {value}/{total} ${options.unit}`
    this.bar = enabled
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format, hideCursor: true, clearOnComplete: options.clearWhenDone === true },
          cliProgress.Presets.shades_classic,
        )
      : null
    this.bar?.start(Math.max(options.total ?? 0, 1), 0)
  }

  get active(): boolean {
    return this.bar !== null
  }

  /** How many are done so far. */
  get done(): number {
    return this.value
  }

  increment(count = 1): void {
    this.value += count
    this.bar?.update(this.value)
  }

  /** Idempotent. */
  stop(): void {
    this.bar?.stop()
  }
}
