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

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve()
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
