import { describe, expect, it } from 'vitest'
import { Coalescer } from '../../src/core/coalescer.js'
import { CatalogConflictError, CatalogUnavailableError } from '../../src/core/errors.js'

/** A flush that records its batches and answers when told to. */
function recorder(answer: (items: number[]) => number[] | Promise<number[]> = (items) => items.map((item) => item * 10)) {
  const batches: number[][] = []
  let release: () => void = () => undefined
  let gate: Promise<void> | null = null
  return {
    batches,
    hold() {
      gate = new Promise((resolve) => (release = resolve))
    },
    release: () => release(),
    flush: async (items: number[]) => {
      batches.push(items)
      if (gate !== null) await gate
      return answer(items)
    },
  }
}

describe('Coalescer', () => {
  it('puts the calls of one turn in one batch and gives each caller its own outcome', async () => {
    const flush = recorder()
    const coalescer = new Coalescer(flush.flush, { maxBatch: 10 })
    expect(await Promise.all([1, 2, 3].map((item) => coalescer.submit(item)))).toEqual([10, 20, 30])
    expect(flush.batches).toEqual([[1, 2, 3]])
  })

  it('gathers the calls made while a batch runs into the next one, at most maxBatch at a time', async () => {
    const flush = recorder()
    const coalescer = new Coalescer(flush.flush, { maxBatch: 2 })
    flush.hold()
    const first = coalescer.submit(1)
    await new Promise((resolve) => setImmediate(resolve)) // the first batch is running
    const later = [2, 3, 4].map((item) => coalescer.submit(item))
    expect(flush.batches).toEqual([[1]])
    flush.release()
    expect(await Promise.all([first, ...later])).toEqual([10, 20, 30, 40])
    expect(flush.batches).toEqual([[1], [2, 3], [4]])
  })

  it('fails every caller of a failed batch with its error, unless told to split it', async () => {
    const failing = new Coalescer<number, number>(() => Promise.reject(new Error('connection lost')), {
      maxBatch: 10,
      splitOnError: () => false,
    })
    const results = await Promise.allSettled([1, 2].map((item) => failing.submit(item)))
    expect(results.map((result) => result.status === 'rejected' && (result.reason as Error).message)).toEqual([
      'connection lost',
      'connection lost',
    ])
  })

  it('runs a failed batch again item by item when the error may be one item’s: only that item fails', async () => {
    const flush = recorder((items) => {
      if (items.includes(2)) throw new Error('no row 2')
      return items.map((item) => item * 10)
    })
    const coalescer = new Coalescer(flush.flush, { maxBatch: 10, splitOnError: (error) => (error as Error).message.startsWith('no row') })
    const results = await Promise.allSettled([1, 2, 3].map((item) => coalescer.submit(item)))
    expect(results).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: new Error('no row 2') },
      { status: 'fulfilled', value: 30 },
    ])
    expect(flush.batches).toEqual([[1, 2, 3], [1], [2], [3]])
  })

  it('rejects a batch whose flush answers for a different number of items', async () => {
    const coalescer = new Coalescer<number, number>(() => Promise.resolve([1]), { maxBatch: 10 })
    await expect(Promise.all([coalescer.submit(1), coalescer.submit(2)])).rejects.toThrow(/batch of 2 returned 1/)
    expect(() => new Coalescer(() => Promise.resolve([]), { maxBatch: 0 })).toThrow(RangeError)
  })

  it('by default splits a batch that failed for good, and fails the whole batch when it may pass on a retry', async () => {
    const failOn2 = (error: Error) =>
      recorder((items) => {
        if (items.includes(2)) throw error
        return items.map((item) => item * 10)
      })
    const permanent = failOn2(new CatalogConflictError('row 2 violates a constraint'))
    const splitting = new Coalescer(permanent.flush, { maxBatch: 10 })
    const split = await Promise.allSettled([1, 2, 3].map((item) => splitting.submit(item)))
    expect(split.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])

    const transient = failOn2(new CatalogUnavailableError('database restarting'))
    const coalescer = new Coalescer(transient.flush, { maxBatch: 10 })
    const failed = await Promise.allSettled([1, 2, 3].map((item) => coalescer.submit(item)))
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(transient.batches).toEqual([[1, 2, 3]])
  })

  it('gathers the callers that one batch’s answer woke into the next batch', async () => {
    const flush = recorder()
    const coalescer = new Coalescer(flush.flush, { maxBatch: 10 })
    const chain = async (item: number): Promise<number> => coalescer.submit((await coalescer.submit(item)) + 1)
    expect(await Promise.all([1, 2, 3].map(chain))).toEqual([110, 210, 310])
    expect(flush.batches).toEqual([
      [1, 2, 3],
      [11, 21, 31],
    ])
  })
})
