/**
 * SIGINT/SIGTERM that arrive while the CLI is still loading its modules (about half a second) would kill it by
 * signal, before any handler exists: a supervisor that stops a stage it has just (re)started would see a crash
 * instead of a clean stop. main.ts remembers them from its first line until the modules are loaded, and then stops
 * at once, cleanly, when one came: nothing has been done yet.
 *
 * After that judgement the command still runs a little before its own handler exists (the stop signal of
 * cli-context.ts: options parsed, configuration loaded). A signal in that gap is handed to that handler when it
 * takes over ({@link takeOverEarlySignals}) and stops the command at once; for a command that never installs one,
 * the signal takes its default action after {@link HANDOVER_MS}, as if nothing had listened.
 */
export interface EarlySignals {
  /** The first signal received while starting, or null; later signals wait for a handler to take over. */
  judge(): NodeJS.Signals | null
}

/** How long a signal that came after start-up waits for a command's own handler before acting as by default. */
export const HANDOVER_MS = 1000

interface Remembering {
  phase: 'starting' | 'handover' | 'taken'
  first: NodeJS.Signals | null
  listener: (signal: NodeJS.Signals) => void
}

let remembering: Remembering | null = null

function release(): void {
  if (remembering === null) return
  process.off('SIGINT', remembering.listener)
  process.off('SIGTERM', remembering.listener)
  remembering = null
}

export function rememberEarlySignals(): EarlySignals {
  const state: Remembering = {
    phase: 'starting',
    first: null,
    listener: (signal) => {
      if (state.phase === 'taken') return // the command's own handler has it too
      state.first ??= signal
      if (state.phase !== 'handover') return
      setTimeout(() => {
        if (remembering !== state) return // a handler took over and has acted on it
        release()
        process.kill(process.pid, signal)
      }, HANDOVER_MS).unref()
    },
  }
  remembering = state
  process.on('SIGINT', state.listener)
  process.on('SIGTERM', state.listener)
  return {
    judge() {
      const early = state.first
      if (early !== null) release()
      else state.phase = 'handover'
      return early
    },
  }
}

/**
 * Stops remembering, because the caller installs its own SIGINT/SIGTERM handler now. Returns a signal that came
 * since start-up, which the caller acts on at once; null when none came (or nothing was remembering).
 *
 * The listeners are removed a turn later, once the caller's handler is in place: a signal the process caught but
 * whose listeners have not run yet is dropped by Node if every listener is removed before they run (seen on Node 22:
 * a SIGTERM sent during start-up vanished and the command ran to its end). Kept a turn longer, it reaches the new
 * handler; until then this one ignores it, so it is not acted on twice.
 */
export function takeOverEarlySignals(): NodeJS.Signals | null {
  const state = remembering
  if (state === null) return null
  state.phase = 'taken'
  setImmediate(() => {
    if (remembering === state) release()
  })
  return state.first
}
