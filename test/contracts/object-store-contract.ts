import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ObjectStore, StoredObject } from '../../src/core/ports/object-store.js'

/** A store to test and how to throw it (and everything it wrote) away afterwards. */
export interface OpenedStore {
  store: ObjectStore
  cleanup(): Promise<void>
}

async function collect(iterable: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const items: StoredObject[] = []
  for await (const item of iterable) items.push(item)
  return items
}

async function keys(store: ObjectStore, prefix?: string): Promise<string[]> {
  return (await collect(store.list(prefix))).map((item) => item.key)
}

/** S3 lists in UTF-8 byte order; every store must agree with it. */
function byteOrder(values: readonly string[]): string[] {
  return [...values].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
}

const INVALID_KEYS = ['../x', '/abs', 'a//b', 'a/./b', 'a\\b', '', 'a/..', 'x/../../y', 'tab\there']

/**
 * The behaviour every ObjectStore adapter must show, run against each of them (directory, memory, S3).
 * `open` gives a fresh, empty, ready store; `cleanup` removes what the test wrote.
 */
export function objectStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let opened: OpenedStore
    let store: ObjectStore

    beforeEach(async () => {
      opened = await open()
      store = opened.store
    })

    afterEach(async () => {
      await opened.cleanup()
    })

    it('round-trips every byte value and a 1 MiB random buffer exactly', async () => {
      const all = Uint8Array.from({ length: 256 }, (_, index) => index)
      const random = randomBytes(1024 * 1024)
      await store.put('bytes/all.bin', all)
      await store.put('bytes/random.bin', random, { contentType: 'application/octet-stream' })
      const gotAll = await store.get('bytes/all.bin')
      expect(Buffer.isBuffer(gotAll)).toBe(true)
      expect(gotAll.equals(Buffer.from(all))).toBe(true)
      expect((await store.get('bytes/random.bin')).equals(random)).toBe(true)
    })

    it('stores an empty object', async () => {
      await store.put('empty.bin', new Uint8Array(0))
      expect((await store.get('empty.bin')).length).toBe(0)
      expect((await store.stat('empty.bin'))?.size).toBe(0)
      expect(await keys(store)).toEqual(['empty.bin'])
    })

    it('overwrites: the last put wins and there is still one object', async () => {
      await store.put('image/s/image_00001.jpg', Buffer.from('first version, longer'))
      await store.put('image/s/image_00001.jpg', Buffer.from('second'))
      expect((await store.get('image/s/image_00001.jpg')).toString()).toBe('second')
      expect((await store.stat('image/s/image_00001.jpg'))?.size).toBe(6)
      expect(await keys(store)).toEqual(['image/s/image_00001.jpg'])
    })

    it('concurrent puts of one key leave one complete version, never a mix', async () => {
      const versions = Array.from({ length: 8 }, (_, index) => Buffer.alloc(64 * 1024, index))
      await Promise.all(versions.map((bytes) => store.put('race/key.bin', bytes)))
      const got = await store.get('race/key.bin')
      expect(versions.some((bytes) => bytes.equals(got))).toBe(true)
      expect(await keys(store)).toEqual(['race/key.bin'])
    })

    it('stat gives the size and a date, or null when absent', async () => {
      await store.put('stat/a.bin', randomBytes(1234))
      const info = await store.stat('stat/a.bin')
      expect(info).not.toBeNull()
      expect(info?.key).toBe('stat/a.bin')
      expect(info?.size).toBe(1234)
      if (info?.lastModified !== null) expect(info?.lastModified).toBeInstanceOf(Date)
      expect(await store.stat('stat/missing.bin')).toBeNull()
      expect(await store.stat('no-such-dir/missing.bin')).toBeNull()
    })

    it('getStream (when offered) streams the exact bytes with their size, and rejects a missing key as get does', async () => {
      if (store.getStream === undefined) return
      const bytes = randomBytes(3 * 1024 * 1024 + 17)
      await store.put('stream/big.bin', bytes)
      const { stream, size, lastModified } = await store.getStream('stream/big.bin')
      const chunks: Buffer[] = []
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
      expect(size).toBe(bytes.length)
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true)
      expect(lastModified === null || lastModified instanceof Date).toBe(true)
      await expect(store.getStream('stream/missing.bin')).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_NOT_FOUND' })
    })

    it('get of a missing key rejects with ObjectNotFoundError', async () => {
      await store.put('present/a.bin', Buffer.from('a'))
      for (const key of ['present/b.bin', 'absent/a.bin', 'present']) {
        const error = await store.get(key).then(
          () => null,
          (caught: unknown) => caught,
        )
        expect(error).toMatchObject({ name: 'ObjectNotFoundError', code: 'IMGPIPE_OBJECT_NOT_FOUND', key, canRetry: false })
      }
    })

    it('lists every object in byte order with sizes, and filters by plain string prefix', async () => {
      const contents: Record<string, number> = {
        'image/b/image_00002.jpg': 2,
        'image/a/image_00001.jpg': 1,
        'image/a/image_00010.jpg': 10,
        'image_x/a.jpg': 3,
        'image.jpg': 4,
        'difference_image/a/image_00002.jpg': 5,
        'a-c': 6,
        'a/b': 7,
        Z: 8,
      }
      // Put in a shuffled order so that insertion order cannot pass for key order.
      for (const key of Object.keys(contents).reverse()) await store.put(key, Buffer.alloc(contents[key] ?? 0, 1))
      const all = await collect(store.list())
      expect(all.map((item) => item.key)).toEqual(byteOrder(Object.keys(contents)))
      for (const item of all) expect(item.size).toBe(contents[item.key])
      expect(await keys(store, '')).toEqual(byteOrder(Object.keys(contents)))
      expect(await keys(store, 'image/')).toEqual(['image/a/image_00001.jpg', 'image/a/image_00010.jpg', 'image/b/image_00002.jpg'])
      expect(await keys(store, 'image_x/')).toEqual(['image_x/a.jpg'])
      expect(await keys(store, 'image')).toEqual(
        byteOrder(['image/a/image_00001.jpg', 'image/a/image_00010.jpg', 'image/b/image_00002.jpg', 'image.jpg', 'image_x/a.jpg']),
      )
      expect(await keys(store, 'image/a/')).toEqual(['image/a/image_00001.jpg', 'image/a/image_00010.jpg'])
      expect(await keys(store, 'image/a/image_0000')).toEqual(['image/a/image_00001.jpg'])
      expect(await keys(store, 'image/a')).toEqual(['image/a/image_00001.jpg', 'image/a/image_00010.jpg'])
      expect(await keys(store, 'nothing/')).toEqual([])
      expect(await keys(store, 'image/c')).toEqual([])
    })

    it('deletes present and absent keys alike, and list no longer shows them', async () => {
      await store.put('d/1.bin', Buffer.from('1'))
      await store.put('d/2.bin', Buffer.from('2'))
      await store.put('d/sub/3.bin', Buffer.from('3'))
      await store.delete(['d/1.bin', 'd/never.bin', 'nowhere/x.bin', 'd/sub/3.bin'])
      expect(await keys(store)).toEqual(['d/2.bin'])
      await expect(store.get('d/1.bin')).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_NOT_FOUND' })
      expect(await store.stat('d/sub/3.bin')).toBeNull()
      await store.delete(['d/1.bin'])
      await store.delete([])
      expect((await store.get('d/2.bin')).toString()).toBe('2')
      // A deleted key can be written again.
      await store.put('d/sub/3.bin', Buffer.from('again'))
      expect((await store.get('d/sub/3.bin')).toString()).toBe('again')
    })

    it('rejects keys that could escape the store, and writes nothing', async () => {
      await store.put('ok.bin', Buffer.from('ok'))
      const invalid = { code: 'IMGPIPE_OBJECT_KEY_INVALID', canRetry: false }
      for (const key of INVALID_KEYS) {
        await expect(store.put(key, Buffer.from('x')), `put ${JSON.stringify(key)}`).rejects.toMatchObject(invalid)
        await expect(store.get(key), `get ${JSON.stringify(key)}`).rejects.toMatchObject(invalid)
        await expect(store.stat(key), `stat ${JSON.stringify(key)}`).rejects.toMatchObject(invalid)
        await expect(store.delete([key]), `delete ${JSON.stringify(key)}`).rejects.toMatchObject(invalid)
      }
      for (const prefix of ['../', '/abs/', 'a//', 'a\\']) {
        await expect(collect(store.list(prefix)), `list ${JSON.stringify(prefix)}`).rejects.toMatchObject(invalid)
      }
      // One invalid key in a batch stops the whole batch before anything is deleted.
      await expect(store.delete(['ok.bin', '../x'])).rejects.toMatchObject(invalid)
      expect(await keys(store)).toEqual(['ok.bin'])
    })

    it('ensureReady is idempotent and keeps existing objects', async () => {
      await store.put('keep/me.bin', Buffer.from('kept'))
      await store.ensureReady()
      await store.ensureReady()
      expect((await store.get('keep/me.bin')).toString()).toBe('kept')
    })

    it('keeps keys with spaces and unicode intact, in byte order', async () => {
      const unicode = [
        'image/my stream/image 00001.jpg',
        'image/ääkköset/ö ü.png',
        'image/日本/写真 1.png',
        'image/u/\uff5e wide tilde',
        'image/u/plain',
        'emoji/\u{1f600} smile.png',
      ]
      for (const [index, key] of unicode.entries()) await store.put(key, Buffer.from(`#${index}`))
      // Byte order within the BMP only: S3Proxy (Java) sorts astral characters by UTF-16 units, before
      // U+E000..U+FFFF, where AWS S3 and our local stores put them after.
      expect(await keys(store, 'image/')).toEqual(byteOrder(unicode.filter((key) => key.startsWith('image/'))))
      expect(await keys(store, 'emoji/')).toEqual(['emoji/\u{1f600} smile.png'])
      for (const [index, key] of unicode.entries()) {
        expect((await store.get(key)).toString()).toBe(`#${index}`)
        expect((await store.stat(key))?.size).toBe(Buffer.byteLength(`#${index}`))
      }
      expect(await keys(store, 'image/日本/')).toEqual(['image/日本/写真 1.png'])
      await store.delete(unicode)
      expect(await keys(store)).toEqual([])
    })

    it('copies bytes: mutating the put or the got buffer does not change the stored object', async () => {
      const bytes = Buffer.from('original')
      await store.put('copy/a.bin', bytes)
      bytes.fill(0)
      const got = await store.get('copy/a.bin')
      expect(got.toString()).toBe('original')
      got.fill(0)
      expect((await store.get('copy/a.bin')).toString()).toBe('original')
    })

    it('accepts a Uint8Array view into a larger buffer, storing only the view', async () => {
      const backing = Buffer.from('xxHELLOyy')
      await store.put('view.bin', new Uint8Array(backing.buffer, backing.byteOffset + 2, 5))
      expect((await store.get('view.bin')).toString()).toBe('HELLO')
    })

    it('after close, operations reject with IMGPIPE_CLOSED; close is idempotent', async () => {
      await store.put('closing.bin', Buffer.from('x'))
      await store.close()
      await store.close()
      await expect(store.get('closing.bin')).rejects.toMatchObject({ code: 'IMGPIPE_CLOSED' })
      await expect(store.put('closing.bin', Buffer.from('y'))).rejects.toMatchObject({ code: 'IMGPIPE_CLOSED' })
      await expect(collect(store.list())).rejects.toMatchObject({ code: 'IMGPIPE_CLOSED' })
    })

    it('describes its location without credentials', () => {
      expect(store.description).toMatch(/^(file:|memory:|s3:\/\/)/)
      expect(store.description).not.toMatch(/AWS_SECRET|:[^/@\s]+@/)
    })
  })
}
