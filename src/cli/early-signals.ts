/**
 * SIGINT/SIGTERM that arrive while the CLI is still loading its modules (about half a second) would kill it by
 * signal, before any handler exists: a supervisor that stops a stage it has just (re)started would see a crash
 * instead of a clean stop. main.ts remembers them from its first line until the modules are loaded, and then stops
 * at once, cleanly, when one came: nothing has been done yet.
 */
export interface EarlySignals {
  /** Stops listening; the first signal received meanwhile, or null. */
  end(): NodeJS.Signals | null
}

export function rememberEarlySignals(): EarlySignals {
  let first: NodeJS.Signals | null = null
  const remember = (signal: NodeJS.Signals): void => {
    first ??= signal
  }
  process.on('SIGINT', remember)
  process.on('SIGTERM', remember)
  return {
    end() {
      process.off('SIGINT', remember)
      process.off('SIGTERM', remember)
      return first
    },
  }
}
