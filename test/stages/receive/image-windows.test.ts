import { describe, expect, it } from 'vitest'
import { windows } from '../../../src/stages/receive/image-windows.js'

async function* numbers(count: number, delayMs = 0): AsyncGenerator<number> {
  for (let index = 1; index <= count; index += 1) {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
    yield index
  }
}

async function collect<T>(source: AsyncIterable<T[]>): Promise<T[][]> {
  const all: T[][] = []
  for await (const window of source) all.push(window)
  return all
}

describe('windows', () => {
  it('fills windows up to the size from a fast source, in order, nothing lost', async () => {
    const all = await collect(windows(numbers(10), 4, 50))
    expect(all).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ])
  })

  it('does not hold a slow source back: a window closes after the linger', async () => {
    const all = await collect(windows(numbers(4, 30), 8, 5))
    expect(all.flat()).toEqual([1, 2, 3, 4])
    expect(all.length).toBeGreaterThanOrEqual(3)
  })

  it('ends the source when the consumer stops early', async () => {
    let ended = false
    async function* source(): AsyncGenerator<number> {
      try {
        for (let index = 1; ; index += 1) yield index
      } finally {
        ended = true
      }
    }
    for await (const window of windows(source(), 3, 10)) {
      expect(window).toEqual([1, 2, 3])
      break
    }
    expect(ended).toBe(true)
  })

  it('passes a source error on', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1
      throw new Error('camera unplugged')
    }
    await expect(collect(windows(failing(), 4, 10))).rejects.toThrow('camera unplugged')
  })
})
