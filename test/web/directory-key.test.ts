import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../src/adapters/fs/fs-object-store.js'
import { buildWebApp } from '../../src/web/web-app.js'
import { memoryContext, type TestContext } from '../support/memory-context.js'
import { insertAlert } from './web-fixture.js'

// Found by hostile testing: a row whose object key names a directory of the file store made /images/:id answer 500
// (open() of a directory succeeds on Linux; the stream's first read failed with EISDIR after the headers were sent).
let dir: string
let context: TestContext
let store: FsObjectStore
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-dirkey-'))
  context = await memoryContext()
  store = new FsObjectStore(dir)
  await store.put('image/cam/inside.jpg', Buffer.from('not read'))
})
afterAll(async () => {
  await store.close()
  await context.close()
  await rm(dir, { recursive: true, force: true })
})

describe('a catalog row whose object key names a directory of the file store', () => {
  it('is "not found" on every route that serves objects, never a 500', async () => {
    const row = await insertAlert(context, { stream: 'cam', imageNum: 1, imageObjectKey: 'image/cam', differenceKey: 'image' })
    const app = await buildWebApp({ catalog: context.catalog, store, pollIntervalMs: 20 })
    try {
      for (const url of [`/images/${row.imageId}`, `/images/${row.imageId}?download=1`, `/difference/${row.imageEventId}`]) {
        for (const method of ['GET', 'HEAD'] as const) {
          const response = await app.inject({ method, url })
          expect(response.statusCode, `${method} ${url}`).toBe(404)
        }
      }
    } finally {
      await app.close()
    }
  })

  it('is an ObjectNotFoundError from getStream, as from get and stat', async () => {
    await expect(store.getStream('image/cam')).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_NOT_FOUND' })
    await expect(store.get('image/cam')).rejects.toMatchObject({ code: 'IMGPIPE_OBJECT_NOT_FOUND' })
    expect(await store.stat('image/cam')).toBeNull()
  })
})
