import { describe, expect, it } from 'vitest'
import { DecodedImageCache } from '../../../src/stages/analyze/decoded-image-cache.js'

const image = (value: number) => ({ width: 1, height: 1, channels: 3 as const, data: new Uint8Array([value, value, value]) })

describe('DecodedImageCache', () => {
  it('keeps the most recently used images up to its capacity', () => {
    const cache = new DecodedImageCache(2)
    cache.set('a', image(1))
    cache.set('b', image(2))
    expect(cache.get('a')?.data[0]).toBe(1) // a is now the most recent
    cache.set('c', image(3))
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')?.data[0]).toBe(1)
    expect(cache.get('c')?.data[0]).toBe(3)
  })

  it('ignores images without a hash', () => {
    const cache = new DecodedImageCache(2)
    cache.set(null, image(1))
    expect(cache.get(null)).toBeUndefined()
  })
})
