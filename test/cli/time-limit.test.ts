import { describe, expect, it } from 'vitest'
import { formatDuration, withTimeLimit } from '../../src/cli/time-limit.js'

describe('withTimeLimit', () => {
  it('settles like the work when it finishes in time', async () => {
    await expect(withTimeLimit(Promise.resolve(7), 60_000, () => new Error('late'))).resolves.toBe(7)
    await expect(withTimeLimit(Promise.reject(new Error('broken')), 60_000, () => new Error('late'))).rejects.toThrow('broken')
  })

  it('rejects with the given error when the work never settles', async () => {
    const never = new Promise<never>(() => undefined)
    await expect(withTimeLimit(never, 5, () => new Error('no answer'))).rejects.toThrow('no answer')
  })

  it('swallows a rejection that comes after the time limit instead of reporting it as unhandled', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      let fail: (error: Error) => void = () => undefined
      const late = new Promise<never>((_, reject) => (fail = reject))
      await expect(withTimeLimit(late, 5, () => new Error('no answer'))).rejects.toThrow('no answer')
      fail(new Error('too late'))
      // Let the rejection propagate through the microtask queue and one macrotask.
      await new Promise((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

describe('formatDuration', () => {
  it('reads like people say it', () => {
    expect(formatDuration(250)).toBe('250 ms')
    expect(formatDuration(1000)).toBe('1 s')
    expect(formatDuration(1500)).toBe('1.5 s')
    expect(formatDuration(15_000)).toBe('15 s')
  })
})
