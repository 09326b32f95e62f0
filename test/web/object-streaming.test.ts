/**
 * Objects are streamed to the client (issue 9 F5): a request holds a socket's buffer of a large image, not
 * the whole image, so twenty stalled downloads no longer cost twenty copies.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../src/adapters/fs/fs-object-store.js'
import type { ObjectStore } from '../../src/core/ports/object-store.js'
import { buildWebApp } from '../../src/web/web-app.js'
import { memoryContext, type TestContext } from '../support/memory-context.js'
import { insertAlert } from './web-fixture.js'

let dir: string
let context: TestContext
let store: FsObjectStore
const big = Buffer.alloc(12 * 1024 * 1024, 7)

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-stream-'))
  context = await memoryContext()
  store = new FsObjectStore(dir)
  await store.ensureReady()
  await store.put('image/s/image_00001.jpg', big)
  await insertAlert(context, { stream: 's', imageNum: 1, imageObjectKey: 'image/s/image_00001.jpg' })
})
afterAll(async () => {
  await store.close()
  await context.close()
  await rm(dir, { recursive: true, force: true })
})

/** The directory store, with `get` (which reads an object whole) forbidden. */
function streamingOnly(inner: FsObjectStore): ObjectStore {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'get') return () => Promise.reject(new Error('get() reads a whole object into memory'))
      const value: unknown = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

describe('GET /images/:id', () => {
  it('streams the object with its length, without reading it whole', async () => {
    const app = await buildWebApp({ catalog: context.catalog, store: streamingOnly(store) })
    try {
      const response = await app.inject({ url: '/images/1' })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-length']).toBe(String(big.length))
      expect(response.rawPayload.equals(big)).toBe(true)
      const etag = String(response.headers.etag)
      const again = await app.inject({ url: '/images/1', headers: { 'if-none-match': etag } })
      expect(again.statusCode).toBe(304)
      expect(again.rawPayload.length).toBe(0)
    } finally {
      await app.close()
    }
  })
})
