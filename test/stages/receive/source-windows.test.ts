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
