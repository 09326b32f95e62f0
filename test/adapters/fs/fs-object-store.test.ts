import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FS_TEMP_FILE_PREFIX, FsObjectStore } from '../../../src/adapters/fs/fs-object-store.js'
import { objectStoreContract } from '../../contracts/object-store-contract.js'
import { directoryBackend } from '../../support/store-backends.js'

objectStoreContract('directory', directoryBackend.open)

async function collectKeys(store: FsObjectStore, prefix?: string): Promise<string[]> {
  const keys: string[] = []
  for await (const item of store.list(prefix)) keys.push(item.key)
  return keys
}

describe('FsObjectStore', () => {
  let base: string
  let dir: string
  let outside: string
  let store: FsObjectStore

  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'imgpipe-fs-store-'))
    dir = path.join(base, 'objects')
    outside = path.join(base, 'outside')
    await mkdir(outside)
    await writeFile(path.join(outside, 'secret.txt'), 'secret')
    store = new FsObjectStore(dir)
    await store.ensureReady()
  })

  afterEach(async () => {
    await store.close()
    await rm(base, { recursive: true, force: true })
  })

  it('maps keys to files under its directory and describes itself as a file: URL', async () => {
    await store.put('image/mock/image_00001.jpg', Buffer.from('jpeg bytes'))
    expect(await readFile(path.join(dir, 'image', 'mock', 'image_00001.jpg'), 'utf8')).toBe('jpeg bytes')
    expect(store.description).toBe(`file:${dir}`)
    // No temporary file is left beside the object.
    expect(await readdir(path.join(dir, 'image', 'mock'))).toEqual(['image_00001.jpg'])
  })

  it('resolves a relative directory against the working directory', () => {
    expect(new FsObjectStore('data/objects').description).toBe(`file:${path.resolve('data/objects')}`)
  })

  it('a crash between temp write and rename leaves no visible object', async () => {
    // What a put that died before its rename leaves: a half-written temp file beside the target.
    await store.put('image/s/image_00001.jpg', Buffer.from('complete'))
    const orphan = path.join(dir, 'image', 's', `${FS_TEMP_FILE_PREFIX}0123456789abcdef`)
    await writeFile(orphan, 'half of image_00002')
    expect(await collectKeys(store)).toEqual(['image/s/image_00001.jpg'])
    expect(await collectKeys(store, 'image/s/')).toEqual(['image/s/image_00001.jpg'])
    expect(await store.stat('image/s/image_00002.jpg')).toBeNull()
    await expect(store.get('image/s/image_00002.jpg')).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_NOT_FOUND' })
    // The temp name is not a key anyone can read or write.
    const tempKey = `image/s/${FS_TEMP_FILE_PREFIX}0123456789abcdef`
    await expect(store.get(tempKey)).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_KEY_INVALID' })
    await expect(store.put(tempKey, Buffer.from('x'))).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_KEY_INVALID' })
    // The retried put then completes normally.
    await store.put('image/s/image_00002.jpg', Buffer.from('retried'))
    expect((await store.get('image/s/image_00002.jpg')).toString()).toBe('retried')
    expect(await collectKeys(store)).toEqual(['image/s/image_00001.jpg', 'image/s/image_00002.jpg'])
  })

  it('does not follow a directory symlink out of the store', async () => {
    await symlink(outside, path.join(dir, 'link'))
    const escape = { code: 'IMGPIPE_OBJECT_KEY_INVALID' }
    await expect(store.get('link/secret.txt')).rejects.toMatchObject(escape)
    await expect(store.stat('link/secret.txt')).rejects.toMatchObject(escape)
    await expect(store.put('link/new.txt', Buffer.from('x'))).rejects.toMatchObject(escape)
    await expect(store.put('link/deeper/new.txt', Buffer.from('x'))).rejects.toMatchObject(escape)
    await expect(store.delete(['link/secret.txt'])).rejects.toMatchObject(escape)
    const listing = collectKeys(store, 'link/')
    await expect(listing).rejects.toMatchObject(escape)
    expect(await collectKeys(store)).toEqual([])
    // Nothing was written, created or removed outside.
    expect((await readdir(outside)).sort()).toEqual(['secret.txt'])
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret')
  })

  it('does not read or list a file symlink that points outside the store', async () => {
    await mkdir(path.join(dir, 'image'))
    await symlink(path.join(outside, 'secret.txt'), path.join(dir, 'image', 'leak.jpg'))
    await expect(store.get('image/leak.jpg')).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_KEY_INVALID' })
    await expect(store.stat('image/leak.jpg')).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_KEY_INVALID' })
    expect(await collectKeys(store)).toEqual([])
    // Overwriting replaces the link itself, never the file it points to.
    await store.put('image/leak.jpg', Buffer.from('own bytes'))
    expect((await store.get('image/leak.jpg')).toString()).toBe('own bytes')
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret')
  })

  it('works when the store directory itself is a symlink (e.g. to a bigger disk)', async () => {
    const linked = new FsObjectStore(path.join(base, 'objects-link'))
    await symlink(dir, path.join(base, 'objects-link'))
    await linked.put('image/a.jpg', Buffer.from('a'))
    expect((await store.get('image/a.jpg')).toString()).toBe('a')
    expect(await collectKeys(linked)).toEqual(['image/a.jpg'])
    await linked.close()
  })

  it('rejects ".." keys without touching the parent directory', async () => {
    for (const key of ['../outside/secret.txt', 'image/../../outside/secret.txt', '..']) {
      await expect(store.get(key)).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_KEY_INVALID' })
      await expect(store.put(key, Buffer.from('x'))).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_KEY_INVALID' })
    }
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret')
    expect((await readdir(base)).sort()).toEqual(['objects', 'outside'])
  })

  it('rejects a key whose segment is longer than a file name can be', async () => {
    await expect(store.put(`image/${'x'.repeat(256)}.jpg`, Buffer.from('x'))).rejects.toMatchObject({
      code: 'IMGPIPE_OBJECT_KEY_INVALID',
    })
  })

  it('cannot hold both a key and keys under it, and says so with a non-retryable error', async () => {
    await store.put('a', Buffer.from('file'))
    await expect(store.put('a/b', Buffer.from('x'))).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_KEY_INVALID', canRetry: false })
    // Also after a listing or a get looked at "a/" as if it were a directory.
    expect(await collectKeys(store, 'a/')).toEqual([])
    await expect(store.get('a/b')).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_NOT_FOUND' })
    await expect(store.put('a/b', Buffer.from('x'))).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_KEY_INVALID', canRetry: false })
    await store.put('c/d', Buffer.from('x'))
    await expect(store.put('c', Buffer.from('x'))).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_KEY_INVALID', canRetry: false })
    expect(await collectKeys(store)).toEqual(['a', 'c/d'])
    // A directory is not an object.
    expect(await store.stat('c')).toBeNull()
    await store.delete(['c'])
    expect(await collectKeys(store)).toEqual(['a', 'c/d'])
  })

  it('recreates a directory removed behind its back', async () => {
    await store.put('image/s/1.jpg', Buffer.from('1'))
    await rm(path.join(dir, 'image'), { recursive: true })
    await store.put('image/s/2.jpg', Buffer.from('2'))
    expect(await collectKeys(store)).toEqual(['image/s/2.jpg'])
  })

  it('treats a store directory that does not exist yet as empty', async () => {
    const missing = new FsObjectStore(path.join(base, 'not-yet'))
    expect(await collectKeys(missing)).toEqual([])
    expect(await missing.stat('a.jpg')).toBeNull()
    await expect(missing.get('a.jpg')).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_NOT_FOUND' })
    await missing.delete(['a.jpg'])
    // A put creates it.
    await missing.put('image/a.jpg', Buffer.from('a'))
    expect((await stat(path.join(base, 'not-yet', 'image', 'a.jpg'))).size).toBe(1)
  })

  it('reports a store path that is a file as a non-retryable StoreUnavailableError', async () => {
    const file = path.join(base, 'a-file')
    await writeFile(file, 'not a directory')
    const broken = new FsObjectStore(file)
    await expect(broken.ensureReady()).rejects.toMatchObject({
      name: 'StoreUnavailableError',
      code: 'IMGPIPE_STORE_UNAVAILABLE',
      canRetry: false,
    })
    await expect(broken.put('image/a.jpg', Buffer.from('a'))).rejects.toMatchObject({ code: 'IMGPIPE_STORE_UNAVAILABLE', canRetry: false })
  })

  it.skipIf(process.getuid?.() === 0)('maps EACCES to a non-retryable StoreUnavailableError (skipped as root)', async () => {
    await mkdir(path.join(dir, 'locked'))
    await chmod(path.join(dir, 'locked'), 0o500)
    try {
      await expect(store.put('locked/a.jpg', Buffer.from('a'))).rejects.toMatchObject({
        code: 'IMGPIPE_STORE_UNAVAILABLE',
        canRetry: false,
        message: expect.stringContaining('EACCES'),
      })
    } finally {
      await chmod(path.join(dir, 'locked'), 0o700)
    }
  })

  it('skips fsync when asked and still writes complete objects', async () => {
    const fast = new FsObjectStore(dir, { fsync: false })
    await fast.put('fast/a.bin', Buffer.alloc(10_000, 7))
    expect((await store.get('fast/a.bin')).equals(Buffer.alloc(10_000, 7))).toBe(true)
    await fast.close()
  })

  it('lists astral characters after U+E000..U+FFFF, in UTF-8 byte order like AWS S3', async () => {
    await store.put('u/\u{1f600}', Buffer.from('emoji'))
    await store.put('u/\uff5e', Buffer.from('tilde'))
    expect(await collectKeys(store)).toEqual(['u/\uff5e', 'u/\u{1f600}'])
  })

  it('lists a wide directory tree in key order', async () => {
    const keys: string[] = []
    for (let stream = 0; stream < 3; stream += 1) {
      for (let image = 1; image <= 150; image += 1) keys.push(`image/s${stream}/image_${String(image).padStart(5, '0')}.jpg`)
    }
    await Promise.all(keys.map((key) => store.put(key, Buffer.from(key))))
    const listed: Array<{ key: string; size: number }> = []
    for await (const item of store.list('image/')) listed.push({ key: item.key, size: item.size })
    expect(listed.map((item) => item.key)).toEqual([...keys].sort())
    for (const item of listed) expect(item.size).toBe(Buffer.byteLength(item.key))
  })
})
