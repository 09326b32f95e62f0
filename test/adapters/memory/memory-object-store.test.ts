import { describe, expect, it } from 'vitest'
import { MemoryObjectStore } from '../../../src/adapters/memory/memory-object-store.js'
import { objectStoreContract } from '../../contracts/object-store-contract.js'
import { memoryBackend } from '../../support/store-backends.js'

objectStoreContract('memory', memoryBackend.open)

describe('MemoryObjectStore', () => {
  it('describes itself as memory:', () => {
    expect(new MemoryObjectStore().description).toBe('memory:')
  })

  it('keeps each instance separate', async () => {
    const one = new MemoryObjectStore()
    const two = new MemoryObjectStore()
    await one.put('a.bin', Buffer.from('a'))
    expect(await two.stat('a.bin')).toBeNull()
  })

  it('lists astral characters after U+E000..U+FFFF, in UTF-8 byte order like AWS S3', async () => {
    const store = new MemoryObjectStore()
    await store.put('u/\u{1f600}', Buffer.from('emoji'))
    await store.put('u/\uff5e', Buffer.from('tilde'))
    const keys: string[] = []
    for await (const item of store.list()) keys.push(item.key)
    expect(keys).toEqual(['u/\uff5e', 'u/\u{1f600}'])
  })

  it('lists a snapshot: puts during iteration do not appear in it', async () => {
    const store = new MemoryObjectStore()
    await store.put('a', Buffer.from('a'))
    await store.put('c', Buffer.from('c'))
    const seen: string[] = []
    for await (const item of store.list()) {
      seen.push(item.key)
      if (item.key === 'a') await store.put('b', Buffer.from('b'))
    }
    expect(seen).toEqual(['a', 'c'])
  })
})
