import { toImgpipeError } from './errors.js'

export interface RetryOptions {
  /** Attempts in all, including the first. Infinity retries transient errors until `signal` aborts. */
  attempts: number
  initialDelayMs?: number
  maxDelayMs?: number
  signal?: AbortSignal
  /** Called before each wait, for logging. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
}

/**
 * Runs `operation`, retrying only errors whose `canRetry` is true (the errors module decides, not the
 * caller), with exponential backoff and jitter. Non-retryable errors and the last failure are rethrown.
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const initial = options.initialDelayMs ?? 100
  const max = options.maxDelayMs ?? 5_000
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt)
    } catch (error) {
      if (!toImgpipeError(error).canRetry || attempt >= options.attempts || isAborted(options.signal)) throw error
      const delay = Math.min(max, initial * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)
      options.onRetry?.(error, attempt, delay)
      await sleep(delay, options.signal)
      // Aborted while waiting (shutdown): no further attempt; the caller gets the last failure.
      if (isAborted(options.signal)) throw error
    }
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

/**
 * Waits `ms`, or less when `signal` aborts. However many sleeps wait on one signal at once (a stage's retries of 16
 * concurrent object puts during a store outage), the signal carries one 'abort' listener: each sleep used to add its
 * own, so an outage made Node print `MaxListenersExceededWarning` outside the JSON log.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve()
    const timer = setTimeout(done, ms)
    const forget = signal === undefined ? undefined : wakeOnAbort(signal, done)
    function done(): void {
      clearTimeout(timer)
      forget?.()
      resolve()
    }
  })
}

/** The sleepers of each signal, woken by its one listener, which is removed when the last sleeper is done. */
const sleepers = new WeakMap<AbortSignal, { waiting: Set<() => void>; onAbort: () => void }>()

function wakeOnAbort(signal: AbortSignal, wake: () => void): () => void {
  let entry = sleepers.get(signal)
  if (entry === undefined) {
    const waiting = new Set<() => void>()
    const onAbort = (): void => {
      for (const sleeper of [...waiting]) sleeper()
    }
    entry = { waiting, onAbort }
    sleepers.set(signal, entry)
    signal.addEventListener('abort', onAbort, { once: true })
  }
  const { waiting, onAbort } = entry
  waiting.add(wake)
  return () => {
    if (!waiting.delete(wake) || waiting.size > 0) return
    sleepers.delete(signal)
    signal.removeEventListener('abort', onAbort)
  }
}
