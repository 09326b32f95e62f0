import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../../src/adapters/fs/fs-object-store.js'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { ReceiveStage } from '../../../src/stages/receive/receive-stage.js'
import { ensurePipelineTopics } from '../../../src/stages/run-pipeline.js'
import { memoryContext, type TestContext } from '../../support/memory-context.js'

/**
 * Issue 20: a window of puts costs one fsync per file (before its rename) and ONE sync per directory touched, at
 * flush(); the receive stage flushes before any row of the window says `received`. The directory syncs go through
 * the injected `syncDirectory`, so the tests count them, hold them and fail them.
 */
describe('FsObjectStore directory syncs', () => {
  let base: string
  let synced: string[]
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'imgpipe-fs-flush-'))
    synced = []
  })
  afterEach(async () => {
    await rm(base, { recursive: true, force: true })
  })

  function countingStore(): FsObjectStore {
    return new FsObjectStore(base, { syncDirectory: async (dir) => void synced.push(path.relative(base, dir)) })
  }

  it('syncs each directory of a window once at flush, none per put, and parents of new directories once', async () => {
    const store = countingStore()
    await store.ensureReady()
    const keys = Array.from({ length: 40 }, (_, i) => `image/s${i % 2}/image_${String(i).padStart(5, '0')}.jpg`)
    await Promise.all(keys.map((key) => store.put(key, Buffer.from(key))))
    expect(synced).toEqual([])
    await store.flush()
    // The two stream directories hold the 40 renames; `image` and the root gained new directory entries.
    expect([...synced].sort()).toEqual(['', 'image', 'image/s0', 'image/s1'])

    synced.length = 0
    await Promise.all(keys.map((key) => store.put(key, Buffer.from(`${key} again`))))
    await store.flush()
    expect([...synced].sort()).toEqual(['image/s0', 'image/s1'])
    synced.length = 0
    await store.flush()
    expect(synced).toEqual([])
    expect(await readFile(path.join(base, keys[3]!), 'utf8')).toBe(`${keys[3]} again`)
  })

  it('syncs only the directories on the paths of the keys it is given, leaving the others for later', async () => {
    const store = countingStore()
    await store.ensureReady()
    await store.put('image/a.jpg', Buffer.from('a'))
    await store.put('difference_image/d.png', Buffer.from('d'))
    await store.flush(['image/a.jpg'])
    expect([...synced].sort()).toEqual(['', 'image'])
    synced.length = 0
    await store.flush()
    expect(synced).toEqual(['difference_image'])
  })

  it('syncs no directory when fsync is off (the analysis-dir copy)', async () => {
    const store = new FsObjectStore(base, { fsync: false, syncDirectory: async (dir) => void synced.push(dir) })
    await store.put('copy/a.jpg', Buffer.from('a'))
    await store.flush()
    expect(synced).toEqual([])
  })

  it('a flush waits for a sync another flush started, since that sync may be the one covering its puts', async () => {
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    let calls = 0
    const store = new FsObjectStore(base, {
      syncDirectory: async () => {
        calls += 1
        await held
      },
    })
    await store.ensureReady()
    await store.put('a/one.jpg', Buffer.from('1'))
    const first = store.flush()
    let secondDone = false
    const second = store.flush().then(() => (secondDone = true))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(secondDone).toBe(false)
    release()
    await Promise.all([first, second])
    expect(secondDone).toBe(true)
    expect(calls).toBe(2) // `a` and the root (which gained `a`), each once
  })

  it('keeps a directory whose sync failed for the next flush, with a StoreUnavailableError', async () => {
    let fail = true
    const store = new FsObjectStore(base, {
      syncDirectory: async (dir) => {
        if (fail && dir.endsWith(`${path.sep}bad`)) throw Object.assign(new Error('EIO (test)'), { code: 'EIO' })
        synced.push(path.relative(base, dir))
      },
    })
    await store.ensureReady()
    await store.put('bad/x.jpg', Buffer.from('x'))
    await expect(store.flush()).rejects.toMatchObject({ code: 'IMGPIPE_STORE_UNAVAILABLE', message: expect.stringContaining('EIO') })
    fail = false
    synced.length = 0
    await store.flush()
    expect(synced).toEqual(['bad'])
  })
})

describe('ReceiveStage on the directory store', () => {
  let context: TestContext
  let base: string
  beforeEach(async () => {
    context = await memoryContext()
    base = await mkdtemp(path.join(tmpdir(), 'imgpipe-fs-window-'))
  })
  afterEach(async () => {
    await context.close()
    await rm(base, { recursive: true, force: true })
  })

  async function windowOf(
    count: number,
  ): Promise<Array<{ stream: string; imageNum: number; filename: string; bytes: Buffer; byteSize: number }>> {
    const teddy = await renderTeddyBear(32)
    return Array.from({ length: count }, (_, i) => {
      const bytes = Buffer.concat([teddy, Buffer.from([i])]) // distinct bytes: no duplicates
      return { stream: 'durable', imageNum: i + 1, filename: `image_${i + 1}.jpg`, bytes, byteSize: bytes.length }
    })
  }

  it('syncs the window directory once, after every file of the window and before any row is received', async () => {
    const seen: Array<{ dir: string; files: number; received: number }> = []
    const store = new FsObjectStore(base, {
      syncDirectory: async (dir) => {
        const files = (await readdir(dir)).filter((name) => name.endsWith('.jpg')).length
        seen.push({ dir: path.relative(base, dir), files, received: (await context.catalog.counts()).imagesReceived })
      },
    })
    await store.ensureReady()
    const stageContext = { ...context, store }
    await ensurePipelineTopics(stageContext, 1)
    const window = await windowOf(12)
    const outcomes = await new ReceiveStage(stageContext).receiveWindow(window)
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(window.map(() => 'received'))
    const imageDir = seen.find((entry) => entry.dir === 'image')
    expect(seen.filter((entry) => entry.dir === 'image')).toHaveLength(1)
    expect(imageDir).toEqual({ dir: 'image', files: 12, received: 0 })
    expect(seen.every((entry) => entry.received === 0)).toBe(true)
    expect((await context.catalog.counts()).imagesReceived).toBe(12)
  })

  it('leaves no row received when the process dies between the file syncs and the directory sync', async () => {
    // A sync that never returns is the crash: the window's files are written and synced, their renames done,
    // and the stage is stopped there (as by SIGKILL) — its rows must all still say `storing`.
    let syncing = false
    const store = new FsObjectStore(base, {
      syncDirectory: () => {
        syncing = true
        return new Promise<void>(() => undefined)
      },
    })
    await store.ensureReady()
    const stageContext = { ...context, store }
    await ensurePipelineTopics(stageContext, 1)
    const window = await windowOf(8)
    void new ReceiveStage(stageContext).receiveWindow(window).catch(() => undefined)
    const deadline = Date.now() + 10_000
    while (!syncing && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(syncing).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const counts = await context.catalog.counts()
    expect(counts.images).toBe(8)
    expect(counts.imagesReceived).toBe(0)
    expect(await context.catalog.listImagesByStatus('storing', { limit: 100 })).toHaveLength(8)
  })
})
