import { ClosedError } from '../core/errors.js'
import type { StageContext } from './stage-context.js'

/** How long a consumer waits for a row another writer has not committed (or finished) yet. */
export const ROW_WAIT_MS = 60_000

/**
 * Polls `find` until it returns a value or `timeoutMs` passes: a message may overtake the commit of the
 * row it names (the original's clients publish from another connection, Kafka partitions reorder). Null
 * after the wait: the caller decides whether that is final. Stops early on shutdown.
 */
export async function waitForRow<T>(
  context: StageContext,
  find: () => Promise<T | null>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T | null> {
  const deadline = Date.now() + (options.timeoutMs ?? ROW_WAIT_MS)
  let delay = options.intervalMs ?? 100
  for (;;) {
    const found = await find()
    if (found !== null) return found
    if (Date.now() >= deadline) return null
    if (context.signal.aborted) throw new ClosedError('stage')
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))))
    delay = Math.min(delay * 2, 2_000)
  }
}
