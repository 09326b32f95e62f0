import { describe, it, expect } from 'vitest'
import { EventEmitter } from 'node:events'
import { BusUnavailableError, CatalogUnavailableError, InvalidImageError, StoreUnavailableError } from '../../src/core/errors.js'
import { sleep, withRetry } from '../../src/core/retry.js'

/** Rejects if `promise` does not settle within `ms`: a hang fails the test quickly instead of at the suite timeout. */
async function within<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('withRetry', () => {
  it('returns the first success without retrying', async () => {
    let calls = 0
    const result = await withRetry(
      async (attempt) => {
        calls += 1
        return `ok on ${attempt}`
      },
      { attempts: 5, initialDelayMs: 1 },
    )
    expect(result).toBe('ok on 1')
    expect(calls).toBe(1)
  })

  it('retries retryable errors until it succeeds, numbering the attempts', async () => {
    const seen: number[] = []
    const result = await withRetry(
      async (attempt) => {
        seen.push(attempt)
        if (attempt < 3) throw new StoreUnavailableError('503')
        return 'done'
      },
      { attempts: 5, initialDelayMs: 1, maxDelayMs: 2 },
    )
    expect(result).toBe('done')
    expect(seen).toEqual([1, 2, 3])
  })

  it('stops after `attempts` and rethrows the last failure', async () => {
    let calls = 0
    const promise = withRetry(
      async () => {
        calls += 1
        throw new CatalogUnavailableError(`down ${calls}`)
      },
      { attempts: 4, initialDelayMs: 1, maxDelayMs: 2 },
    )
    await expect(promise).rejects.toThrow(/^down 4$/)
    expect(calls).toBe(4)
  })

  it('rethrows the same error object it caught last', async () => {
    let last: Error | undefined
    const caught = await withRetry(
      async () => {
        last = new BusUnavailableError('no ack')
        throw last
      },
      { attempts: 3, initialDelayMs: 1 },
    ).catch((error: unknown) => error)
    expect(caught).toBe(last)
  })

  it('throws a non-retryable error at once', async () => {
    let calls = 0
    const error = new InvalidImageError('corrupt')
    await expect(
      withRetry(
        async () => {
          calls += 1
          throw error
        },
        { attempts: 10, initialDelayMs: 1 },
      ),
    ).rejects.toBe(error)
    expect(calls).toBe(1)
  })

  it('honours a canRetry override on a normally retryable class', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls += 1
          throw new StoreUnavailableError('403 forbidden', { canRetry: false })
        },
        { attempts: 10, initialDelayMs: 1 },
      ),
    ).rejects.toThrow('403 forbidden')
    expect(calls).toBe(1)
  })

  it('does not retry unknown errors (bugs) or thrown non-errors', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls += 1
          throw new TypeError('undefined is not a function')
        },
        { attempts: 10, initialDelayMs: 1 },
      ),
    ).rejects.toBeInstanceOf(TypeError)
    expect(calls).toBe(1)

    calls = 0
    await expect(
      withRetry(
        async () => {
          calls += 1
          throw 'a string'
        },
        { attempts: 10, initialDelayMs: 1 },
      ),
    ).rejects.toBe('a string')
    expect(calls).toBe(1)
  })

  it('retries a non-retryable class whose canRetry was overridden to true', async () => {
    let calls = 0
    const result = await withRetry(
      async () => {
        calls += 1
        if (calls === 1) throw new InvalidImageError('partial upload', { canRetry: true })
        return calls
      },
      { attempts: 2, initialDelayMs: 1 },
    )
    expect(result).toBe(2)
  })

  it('makes a single attempt when attempts is 1', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls += 1
          throw new StoreUnavailableError('x')
        },
        { attempts: 1, initialDelayMs: 1 },
      ),
    ).rejects.toThrow('x')
    expect(calls).toBe(1)
  })

  it('calls onRetry before each wait with the error, attempt and a bounded delay', async () => {
    const calls: Array<{ message: string; attempt: number; delay: number }> = []
    await expect(
      withRetry(
        async () => {
          throw new StoreUnavailableError('flaky')
        },
        {
          attempts: 4,
          initialDelayMs: 2,
          maxDelayMs: 5,
          onRetry: (error, attempt, delay) => calls.push({ message: (error as Error).message, attempt, delay }),
        },
      ),
    ).rejects.toThrow('flaky')
    expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3])
    expect(calls.every((call) => call.message === 'flaky')).toBe(true)
    // Exponential with 50-100 % jitter, capped by maxDelayMs: 2 -> [1, 2], 4 -> [2, 4], 8 -> capped 5 -> [2.5, 5].
    const [first, second, third] = calls.map((call) => call.delay)
    expect(first).toBeGreaterThanOrEqual(1)
    expect(first).toBeLessThanOrEqual(2)
    expect(second).toBeGreaterThanOrEqual(2)
    expect(second).toBeLessThanOrEqual(4)
    expect(third).toBeGreaterThanOrEqual(2.5)
    expect(third).toBeLessThanOrEqual(5)
  })

  it('with Infinity attempts, keeps retrying until it succeeds', async () => {
    let calls = 0
    const result = await withRetry(
      async () => {
        calls += 1
        if (calls < 20) throw new BusUnavailableError('not yet')
        return 'finally'
      },
      { attempts: Infinity, initialDelayMs: 1, maxDelayMs: 1 },
    )
    expect(result).toBe('finally')
    expect(calls).toBe(20)
  })

  it('an abort during the wait ends the retries promptly with the last error, without another attempt', async () => {
    const controller = new AbortController()
    let calls = 0
    const promise = withRetry(
      async () => {
        calls += 1
        throw new StoreUnavailableError(`down ${calls}`)
      },
      {
        attempts: Infinity,
        initialDelayMs: 60_000,
        maxDelayMs: 60_000,
        signal: controller.signal,
        onRetry: () => setImmediate(() => controller.abort()),
      },
    )
    await expect(within(promise)).rejects.toThrow('down 1')
    expect(calls).toBe(1)
  })

  it('with Infinity attempts, an abort ends a fast retry loop', async () => {
    const controller = new AbortController()
    let calls = 0
    const promise = withRetry(
      async () => {
        calls += 1
        if (calls === 5) controller.abort()
        throw new CatalogUnavailableError('down')
      },
      { attempts: Infinity, initialDelayMs: 1, maxDelayMs: 1, signal: controller.signal },
    )
    await expect(within(promise)).rejects.toThrow('down')
    expect(calls).toBe(5)
  })

  it('with an already aborted signal, tries once and does not retry', async () => {
    const controller = new AbortController()
    controller.abort()
    let calls = 0
    await expect(
      within(
        withRetry(
          async () => {
            calls += 1
            throw new BusUnavailableError('down')
          },
          { attempts: 10, initialDelayMs: 1, signal: controller.signal },
        ),
      ),
    ).rejects.toThrow('down')
    expect(calls).toBe(1)
  })

  it('with an already aborted signal, still returns a success', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(withRetry(async () => 7, { attempts: 3, signal: controller.signal })).resolves.toBe(7)
  })
})

describe('sleep', () => {
  it('resolves after the delay', async () => {
    await expect(within(sleep(1))).resolves.toBeUndefined()
  })

  it('resolves promptly when the signal aborts', async () => {
    const controller = new AbortController()
    const sleeping = sleep(60_000, controller.signal)
    setImmediate(() => controller.abort())
    await expect(within(sleeping)).resolves.toBeUndefined()
  })

  it('resolves at once when the signal is already aborted', async () => {
    await expect(within(sleep(60_000, AbortSignal.abort()))).resolves.toBeUndefined()
  })

  it('removes its abort listener when the time is up', async () => {
    const controller = new AbortController()
    let added = 0
    let removed = 0
    const signal = controller.signal
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added += 1
      add(...args)
    }) as typeof signal.addEventListener
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed += 1
      remove(...args)
    }) as typeof signal.removeEventListener
    await sleep(1, signal)
    expect(added).toBe(1)
    expect(removed).toBe(1)
  })
})

describe('sleep and withRetry on one long-lived signal', () => {
  it('keep one abort listener however many wait at once, and none once they are done', async () => {
    const controller = new AbortController()
    const { getEventListeners } = EventEmitter
    const sleeping = Array.from({ length: 40 }, (_, i) => sleep(5 + (i % 7), controller.signal))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    await Promise.all(sleeping)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    // Aborting wakes every sleeper through that one listener.
    const long = Array.from({ length: 20 }, () => sleep(60_000, controller.signal))
    controller.abort()
    await expect(within(Promise.all(long))).resolves.toHaveLength(20)
  })

  it('hold an outage of many retry rounds of 16 concurrent operations without a listener warning or growing memory', async () => {
    const controller = new AbortController()
    const warnings: Error[] = []
    const onWarning = (warning: Error): number => warnings.push(warning)
    process.on('warning', onWarning)
    const { getEventListeners } = EventEmitter
    let most = 0
    const rounds = 150
    const outage = (): Promise<number> =>
      withRetry(
        async (attempt) => {
          most = Math.max(most, getEventListeners(controller.signal, 'abort').length)
          if (attempt < rounds) throw new StoreUnavailableError('store down')
          return attempt
        },
        { attempts: Number.POSITIVE_INFINITY, initialDelayMs: 0.1, maxDelayMs: 0.2, signal: controller.signal },
      )
    try {
      await Promise.all(Array.from({ length: 16 }, outage)) // warm-up: the heap's own first growth is not ours
      global.gc?.()
      const before = process.memoryUsage().heapUsed
      const results = await Promise.all(Array.from({ length: 16 }, outage))
      global.gc?.()
      const grown = process.memoryUsage().heapUsed - before
      expect(results).toEqual(Array.from({ length: 16 }, () => rounds))
      expect(most).toBeLessThanOrEqual(1)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([])
      // 2,400 retries: a listener or closure kept per retry would show; a few MB is the collector's slack.
      expect(grown).toBeLessThan(8 * 1024 * 1024)
    } finally {
      process.off('warning', onWarning)
    }
  })
})
