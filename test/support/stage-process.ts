/**
 * One pipeline stage (`imgpipe run`, `receive`, `analyze` or `alert`) as a supervised OS process, for fault tests
 * and `npm run chaos`: it can be SIGKILLed at any moment and started again, and it remembers how every run ended,
 * so a test can tell a process that recovered by itself from one that exited (and how clearly) and was restarted.
 *
 * Free of vitest, so bench/chaos.ts uses it as the fault tests do.
 */
import type { ChildProcess } from 'node:child_process'
import { collect, spawnCli, type CliResult } from './cli.js'

/** How one run of the process ended. */
export interface StageRun {
  result: CliResult
  /** We killed it (SIGKILL); anything else is the process's own decision. */
  killed: boolean
}

/** The one line a failing command prints: `imgpipe: <reason> [IMGPIPE_<CODE>]`, with no stack trace around it. */
export function clearFailure(result: CliResult): string | null {
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(result.stderr)) return null
  const lines = result.stderr
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('{'))
  const last = lines.at(-1) ?? ''
  return /^imgpipe: .+ \[IMGPIPE_[A-Z_]+\]$/.test(last) ? last : null
}

/** Every stage process alive, so a command interrupted by the user leaves none behind. */
const alive = new Set<ChildProcess>()
/** How long after a start `stop()` waits before its SIGTERM (see there). */
const STOP_AFTER_START_MS = 1_000

export function killStageProcesses(): void {
  for (const child of alive) child.kill('SIGKILL')
}

export class StageProcess {
  readonly runs: StageRun[] = []
  private child: ChildProcess | null = null
  private finished: Promise<CliResult> | null = null
  private killing = false
  private startedAt = 0

  constructor(
    readonly name: string,
    private readonly args: readonly string[],
    private readonly env: Record<string, string>,
    private readonly timeoutMs = 900_000,
  ) {}

  get running(): boolean {
    return this.child !== null
  }

  get kills(): number {
    return this.runs.filter((run) => run.killed).length
  }

  /** The runs that ended by themselves, not by our SIGKILL or SIGTERM. */
  get exits(): StageRun[] {
    return this.runs.filter((run) => !run.killed)
  }

  get last(): StageRun | undefined {
    return this.runs.at(-1)
  }

  start(): void {
    if (this.child !== null) throw new Error(`${this.name} is already running`)
    this.startedAt = Date.now()
    const child = spawnCli(this.args, this.env)
    this.child = child
    this.killing = false
    alive.add(child)
    child.once('exit', () => alive.delete(child))
    const finished = collect(child, this.timeoutMs).then((result) => {
      this.runs.push({ result, killed: this.killing && result.signal === 'SIGKILL' })
      if (this.child === child) this.child = null
      return result
    })
    finished.catch(() => {
      if (this.child === child) this.child = null
    })
    this.finished = finished
  }

  /** Resolves with the current run's end (immediately with the last one when none runs). */
  async exited(): Promise<CliResult | undefined> {
    if (this.finished === null) return undefined
    return this.finished
  }

  /** SIGKILL at this very moment; false when the process had already ended. */
  async kill(): Promise<boolean> {
    const child = this.child
    if (child === null || child.exitCode !== null || child.signalCode !== null) return false
    this.killing = true
    child.kill('SIGKILL')
    await this.finished
    return true
  }

  /**
   * SIGTERM: a long-running stage finishes its batch, commits and exits 0 with its summary. Not within a second of
   * its start: until Node has bootstrapped and runs main.ts (which takes signals over from its first line), the
   * default action would kill any Node program by signal; a supervisor waits for a start-up to finish too.
   */
  async stop(): Promise<CliResult | undefined> {
    const settling = this.startedAt + STOP_AFTER_START_MS - Date.now()
    if (this.child !== null && settling > 0) await new Promise((resolve) => setTimeout(resolve, settling))
    this.child?.kill('SIGTERM')
    return this.exited()
  }
}
