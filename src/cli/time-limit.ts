/**
 * Settles like `work`, or rejects with `onTimeout()` once `ms` have passed, so that a service that
 * accepts a connection and never answers cannot hang an operator command. The work itself is not
 * cancelled (the ports have no cancellation); callers close the adapter afterwards. A late rejection of
 * `work` is swallowed rather than reported as unhandled, and the timer never keeps the process alive.
 */
export function withTimeLimit<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms)
    timer.unref()
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/** "5 s", "1.5 s", "250 ms": a time limit as people read it. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`
}

/**
 * Once a command gave up on work it cannot cancel (a request to a server that accepted the connection
 * and never answers), that request can keep the process alive until the server or a driver timeout ends
 * it, long after the command's answer was printed. This exits (with `process.exitCode`) if the process
 * is still running `graceMs` from now; the timer is unreferenced, so a process with nothing else pending
 * exits on its own before it fires. For command actions only: never call it from library code or tests.
 */
export function exitIfStillRunningAfter(graceMs: number): void {
  setTimeout(() => process.exit(), graceMs).unref()
}
