import { describe, expect, it } from 'vitest'
import type { IncomingImage } from '../../../src/stages/receive/image-source.js'
import { sourceWindows } from '../../../src/stages/receive/source-windows.js'

function image(imageNum: number, size = 10): IncomingImage {
  return { stream: 's', imageNum, filename: `${imageNum}.jpg`, bytes: Buffer.alloc(size), byteSize: size }
}

async function* source(
  count: number,
  options: { size?: number; delayMs?: (imageNum: number) => number } = {},
): AsyncGenerator<IncomingImage> {
  for (let imageNum = 1; imageNum <= count; imageNum += 1) {
    const delayMs = options.delayMs?.(imageNum) ?? 0
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
    yield image(imageNum, options.size)
  }
}

async function windows(
  input: AsyncIterable<IncomingImage>,
  limits: { batchSize: number; batchBytes: number; lingerMs: number },
): Promise<number[][]> {
  const result: number[][] = []
  for await (const window of sourceWindows(input, limits)) result.push(window.map((incoming) => incoming.imageNum!))
  return result
}

describe('sourceWindows', () => {
  it('fills windows up to the batch size from a fast source, the last one partial', async () => {
    expect(await windows(source(10), { batchSize: 4, batchBytes: 1e9, lingerMs: 1000 })).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ])
  })

  it('closes a window at the byte limit', async () => {
    expect(await windows(source(5, { size: 100 }), { batchSize: 64, batchBytes: 250, lingerMs: 1000 })).toEqual([
      [1, 2, 3],
      [4, 5],
    ])
  })

  it('lets a slow source through one image at a time after the linger, losing none', async () => {
    const result = await windows(source(4, { delayMs: (imageNum) => (imageNum === 1 ? 0 : 40) }), {
      batchSize: 64,
      batchBytes: 1e9,
      lingerMs: 5,
    })
    expect(result).toEqual([[1], [2], [3], [4]])
  })

  it('lets a lone image through without waiting for the linger when the source has nothing more ready', async () => {
    // Images 500 ms apart under a 400 ms linger: each is alone, and each window leaves as soon as its image is read.
    const readAt = new Map<number, number>()
    async function* timed(): AsyncGenerator<IncomingImage> {
      for await (const incoming of source(3, { delayMs: (imageNum) => (imageNum === 1 ? 0 : 500) })) {
        readAt.set(incoming.imageNum!, performance.now())
        yield incoming
      }
    }
    const held: number[] = []
    for await (const window of sourceWindows(timed(), { batchSize: 64, batchBytes: 1e9, lingerMs: 400 })) {
      expect(window).toHaveLength(1)
      held.push(performance.now() - readAt.get(window[0]!.imageNum!)!)
    }
    expect(held).toHaveLength(3)
    for (const ms of held) expect(ms).toBeLessThan(200)
  })

  it('lingers again once a burst starts after a pause, filling the window', async () => {
    // Image 1 alone, then a pause, then 2..6 arriving 2 ms apart: the burst is gathered under a 100 ms linger.
    const result = await windows(source(6, { delayMs: (imageNum) => (imageNum === 2 ? 60 : imageNum > 2 ? 2 : 0) }), {
      batchSize: 64,
      batchBytes: 1e9,
      lingerMs: 100,
    })
    expect(result[0]).toEqual([1])
    expect(result.flat()).toEqual([1, 2, 3, 4, 5, 6])
    expect(result.length).toBeLessThanOrEqual(3)
    expect(Math.max(...result.map((window) => window.length))).toBeGreaterThanOrEqual(4)
  })

  it('closes the source when the consumer stops early', async () => {
    let closed = false
    async function* tracked(): AsyncGenerator<IncomingImage> {
      try {
        yield* source(100)
      } finally {
        closed = true
      }
    }
    for await (const window of sourceWindows(tracked(), { batchSize: 8, batchBytes: 1e9, lingerMs: 5 })) {
      expect(window).toHaveLength(8)
      break
    }
    expect(closed).toBe(true)
  })
})
