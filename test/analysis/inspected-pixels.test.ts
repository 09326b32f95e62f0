import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { RawImage } from '../../src/analysis/decode-image.js'
import { InspectedPixels } from '../../src/analysis/inspected-pixels.js'

function image(fill: number, pixels = 1): RawImage {
  return { width: pixels, height: 1, channels: 3, data: new Uint8Array(pixels * 3).fill(fill) }
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

describe('InspectedPixels', () => {
  it('keeps nothing until enabled (a process that only receives holds no pixels)', () => {
    const store = new InspectedPixels()
    store.offer(Buffer.from('a'), image(1))
    expect(store.size).toBe(0)
    expect(store.take(sha(Buffer.from('a')))).toBeUndefined()
  })

  it('hands pixels out by the hash of the bytes they were decoded from, once', () => {
    const store = new InspectedPixels()
    store.enable(100)
    const pixels = image(7, 2)
    store.offer(Buffer.from('jpeg bytes'), pixels)
    expect(store.size).toBe(6)
    expect(store.take(sha(Buffer.from('other bytes')))).toBeUndefined()
    expect(store.take(sha(Buffer.from('jpeg bytes')))).toBe(pixels)
    expect(store.take(sha(Buffer.from('jpeg bytes')))).toBeUndefined()
    expect(store.size).toBe(0)
  })

  it('drops the oldest to stay within the largest budget asked for, and never keeps what exceeds it', () => {
    const store = new InspectedPixels()
    store.enable(9)
    store.enable(6) // a second stage asking for less does not shrink it
    for (const name of ['a', 'b', 'c']) store.offer(Buffer.from(name), image(1))
    store.offer(Buffer.from('d'), image(1))
    expect(store.size).toBe(9)
    expect(store.take(sha(Buffer.from('a')))).toBeUndefined()
    expect(store.take(sha(Buffer.from('d')))).toBeDefined()
    store.offer(Buffer.from('huge'), image(1, 4))
    expect(store.take(sha(Buffer.from('huge')))).toBeUndefined()
    expect(store.size).toBe(6)
  })
})
