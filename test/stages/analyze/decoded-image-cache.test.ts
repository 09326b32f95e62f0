import { describe, expect, it } from 'vitest'
import { DecodedImageCache } from '../../../src/stages/analyze/decoded-image-cache.js'

/** A 1-pixel-high image of `width` pixels: 3 × width bytes. */
const image = (value: number, width = 1) => ({ width, height: 1, channels: 3 as const, data: new Uint8Array(width * 3).fill(value) })

describe('DecodedImageCache', () => {
  it('keeps the most recently used images within its byte budget', () => {
    const cache = new DecodedImageCache(6)
    cache.set('a', image(1))
    cache.set('b', image(2))
    expect(cache.get('a')?.data[0]).toBe(1) // a is now the most recent
    cache.set('c', image(3))
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')?.data[0]).toBe(1)
    expect(cache.get('c')?.data[0]).toBe(3)
    expect(cache.size).toBe(6)
  })

  it('evicts by bytes, not by count: one large image displaces several small ones', () => {
    const cache = new DecodedImageCache(300)
    for (let index = 0; index < 10; index += 1) cache.set(`small-${index}`, image(index, 10)) // 30 bytes each
    expect(cache.size).toBe(300)
    cache.set('large', image(9, 90)) // 270 bytes: only one small image can stay
    expect(cache.size).toBe(300)
    expect(cache.get('large')?.data.length).toBe(270)
    expect(cache.get('small-9')).toBeDefined()
    expect(cache.get('small-8')).toBeUndefined()
  })

  it('does not keep an image larger than the whole budget, and keeps what it had', () => {
    const cache = new DecodedImageCache(100)
    cache.set('a', image(1, 10))
    cache.set('huge', image(2, 34)) // 102 bytes
    expect(cache.get('huge')).toBeUndefined()
    expect(cache.get('a')).toBeDefined()
    expect(cache.size).toBe(30)
  })

  it('counts a re-inserted image once, and a budget of 0 keeps nothing', () => {
    const cache = new DecodedImageCache(100)
    cache.set('a', image(1, 10))
    cache.set('a', image(1, 10))
    expect(cache.size).toBe(30)
    const off = new DecodedImageCache(0)
    off.set('a', image(1))
    expect(off.get('a')).toBeUndefined()
  })

  it('ignores images without a hash', () => {
    const cache = new DecodedImageCache(100)
    cache.set(null, image(1))
    expect(cache.get(null)).toBeUndefined()
  })

  it('keeps a taken image aside, evicted before any image not yet taken, and gives it back when its bytes repeat', () => {
    const cache = new DecodedImageCache(100) // a quarter, 25 bytes, for taken images
    for (const [name, value] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
    ] as const) {
      cache.set(name, image(value, 8)) // 24 bytes each
      if (name === 'a') expect(cache.take('a')?.data[0]).toBe(1)
    }
    cache.set('e', image(5, 8)) // full: the taken 'a' goes first, though 'b' is older
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('b')).toBeDefined()
    expect(cache.take('c')?.data[0]).toBe(3)
    expect(cache.get('c')?.data[0]).toBe(3) // the same bytes again (a static camera): still there, fresh again
    expect(cache.take(null)).toBeUndefined()
    expect(cache.size).toBe(96)
  })

  it('lets a taken image too large for the taken list leave at once, and bounds that list', () => {
    const cache = new DecodedImageCache(120)
    const large = image(1, 20) // 60 bytes: more than the 30 taken images may hold
    cache.set('large', large)
    expect(cache.take('large')).toBe(large)
    expect(cache.holds(large)).toBe(false)
    expect(cache.size).toBe(0)
    for (const name of ['a', 'b', 'c']) {
      cache.set(name, image(2, 5)) // 15 bytes each
      cache.take(name)
    }
    expect(cache.size).toBe(30)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('c')).toBeDefined()
  })
})
