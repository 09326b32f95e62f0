import { describe, expect, it } from 'vitest'
import { Coalescer } from '../../src/core/coalescer.js'
import { CatalogConflictError, CatalogUnavailableError } from '../../src/core/errors.js'

/** A batch function that records the keys of each call and doubles them, failing on the keys it is told to. */
function doubling(fail: (key: number) => Error | null = () => null) {
  const calls: number[][] = []
  const coalescer = new Coalescer(
    async (keys: number[]) => {
      calls.push(keys)
      const error = keys.map(fail).find((found) => found !== null)
      if (error !== undefined) throw error
      return keys.map((key) => key * 2)
    },
    { maxBatchSize: 4 },
  )
  return { calls, coalescer }
}

describe('Coalescer', () => {
  it('gathers the calls of one turn into one batch call, each caller getting its own value', async () => {
    const { calls, coalescer } = doubling()
    expect(await Promise.all([1, 2, 3].map((key) => coalescer.load(key)))).toEqual([2, 4, 6])
    expect(calls).toEqual([[1, 2, 3]])
    expect(await coalescer.load(5)).toBe(10)
    expect(calls).toEqual([[1, 2, 3], [5]])
  })

  it('gathers callers that a response woke in the same turn', async () => {
    const { calls, coalescer } = doubling()
    const chain = async (key: number): Promise<number> => coalescer.load((await coalescer.load(key)) + 1)
    expect(await Promise.all([1, 2, 3].map(chain))).toEqual([6, 10, 14])
    expect(calls).toEqual([
      [1, 2, 3],
      [3, 5, 7],
    ])
  })

  it('splits more keys than the batch size into several calls', async () => {
    const { calls, coalescer } = doubling()
    await Promise.all(Array.from({ length: 10 }, (_, key) => coalescer.load(key)))
    expect(calls.map((keys) => keys.length)).toEqual([4, 4, 2])
  })

  it('fails only the key at fault when a batch fails for good, and the whole batch when it may pass later', async () => {
    const permanent = doubling((key) => (key === 2 ? new CatalogConflictError('row 2 violates a constraint') : null))
    const results = await Promise.allSettled([1, 2, 3].map((key) => permanent.coalescer.load(key)))
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(permanent.calls).toEqual([[1, 2, 3], [1], [2], [3]])

    const transient = doubling((key) => (key === 2 ? new CatalogUnavailableError('database restarting') : null))
    const failed = await Promise.allSettled([1, 2, 3].map((key) => transient.coalescer.load(key)))
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(transient.calls).toEqual([[1, 2, 3]])
  })
})
