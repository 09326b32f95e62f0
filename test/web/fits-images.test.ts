/**
 * FitsImages, the viewer's FITS decoder and cache: the worker thread the built server uses (compiled here from the
 * sources into a temp directory, as the build would) gives the same pixels and preview as the inline path, brings a
 * reader's failure back with its reason, keeps the event loop free while it works, and the cache is bounded by bytes.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeFits } from '../../src/analysis/fits/fits-writer.js'
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.js'
import { isImgpipeError, type FitsError } from '../../src/core/errors.js'
import type { ImageRecord } from '../../src/core/types.js'
import { FitsImages, type LoadedFits } from '../../src/web/fits-images.js'
import { repoRoot } from '../support/cli.js'

let dir: string
let workerUrl: URL
let store: MemoryObjectStore

/** Transpiles src/core, src/analysis and src/web to ES modules under `out`, as tsc would emit them. */
async function transpile(out: string): Promise<void> {
  for (const folder of ['core', 'analysis', 'web']) {
    const entries = await readdir(path.join(repoRoot, 'src', folder), { recursive: true })
    for (const entry of entries) {
      if (!entry.endsWith('.ts')) continue
      const source = await readFile(path.join(repoRoot, 'src', folder, entry), 'utf8')
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
      })
      const target = path.join(out, folder, entry.replace(/\.ts$/, '.js'))
      await mkdir(path.dirname(target), { recursive: true })
      await writeFile(target, outputText)
    }
  }
  await writeFile(path.join(out, 'package.json'), '{"type":"module"}')
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-fits-worker-'))
  await transpile(dir)
  workerUrl = pathToFileURL(path.join(dir, 'web', 'fits-render-worker.js'))
  store = new MemoryObjectStore()
  await store.ensureReady()
})

afterAll(async () => {
  await store?.close()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

/** A gradient with a masked pixel and a bright one, written as BITPIX −32. */
async function putFrame(key: string, width: number, height: number): Promise<ImageRecord> {
  const data = new Float32Array(width * height)
  for (let i = 0; i < data.length; i++) data[i] = 100 + (i % width) + 0.5 * Math.floor(i / width)
  data[width + 1] = Number.NaN
  data[5] = 1e5
  const bytes = writeFits({ width, height, data }, [])
  await store.put(key, bytes)
  return record(key, bytes.length, width, height)
}

function record(key: string, byteSize: number, width: number, height: number): ImageRecord {
  return {
    imageId: 1,
    imageFilename: path.basename(key),
    imageObjectKey: key,
    stream: 's',
    imageNum: 1,
    contentSha256: null,
    byteSize,
    width,
    height,
    format: 'fits',
    status: 'received',
    errorCode: null,
    errorMessage: null,
    receivedAt: new Date(),
    analyzedAt: null,
    previousImageId: null,
    l2Norm: null,
    changedFraction: null,
    maxAbsDifference: null,
    observation: null,
  }
}

function loaded(result: LoadedFits | 'busy'): LoadedFits {
  if (result === 'busy') throw new Error('busy')
  return result
}

describe('FitsImages in a worker thread', () => {
  it('decodes and previews as the inline path does', async () => {
    const image = await putFrame('image/w/gradient.fits', 300, 200)
    const inWorker = new FitsImages(store, { workerUrl })
    const inline = new FitsImages(store, { worker: false })
    try {
      expect(inWorker.inWorker).toBe(true)
      expect(inline.inWorker).toBe(false)
      const a = loaded(await inWorker.load(image))
      const b = loaded(await inline.load(image))
      expect([a.width, a.height, a.hdu]).toEqual([300, 200, 0])
      expect(
        Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
          Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
        ),
      ).toBe(true)
      expect(a.png.equals(b.png)).toBe(true)
      expect(FitsImages.readout(a, 2, 2)).toMatchObject({ value: null })
      expect(FitsImages.readout(a, 6, 1)).toMatchObject({ value: 1e5 })
      expect(FitsImages.readout(a, 300, 200)?.value).toBe(100 + 299 + 0.5 * 199)
      expect(FitsImages.readout(a, 301, 1)).toBeNull()
    } finally {
      await inWorker.close()
      await inline.close()
    }
  })

  it("brings a reader's failure back with its reason, and serves the next image", async () => {
    const fits = new FitsImages(store, { workerUrl })
    try {
      await store.put('image/w/truncated.fits', Buffer.from('SIMPLE  =                    T'.padEnd(2880, ' ')))
      const error = await fits.load(record('image/w/truncated.fits', 2880, 1, 1)).catch((caught: unknown) => caught)
      expect(isImgpipeError(error, 'IMGPIPE_IMAGE_INVALID')).toBe(true)
      expect((error as FitsError).reason).toBe('FITS_NO_END')
      const image = await putFrame('image/w/after.fits', 40, 30)
      expect(loaded(await fits.load(image)).width).toBe(40)
    } finally {
      await fits.close()
    }
  })

  it('keeps the event loop turning while a 2048² frame is decoded and previewed (inline it stalls)', async () => {
    const image = await putFrame('image/w/big.fits', 2048, 2048)
    /** The longest the event loop went without turning while `fits` loaded the image, ms. */
    async function longestStall(fits: FitsImages): Promise<number> {
      let longest = 0
      let last = performance.now()
      const timer = setInterval(() => {
        const now = performance.now()
        longest = Math.max(longest, now - last)
        last = now
      }, 2)
      try {
        expect(loaded(await fits.load(image)).preview.factor).toBe(2)
        return Math.max(longest, performance.now() - last)
      } finally {
        clearInterval(timer)
        await fits.close()
      }
    }
    const inline = await longestStall(new FitsImages(store, { worker: false }))
    const inWorker = await longestStall(new FitsImages(store, { workerUrl }))
    expect(inWorker, `longest stall: ${Math.round(inWorker)} ms in the worker, ${Math.round(inline)} ms inline`).toBeLessThan(inline / 2)
  })
})

describe('the decoded-image cache', () => {
  it('is bounded by bytes: the least recently used image is decoded again, a recent one is not', async () => {
    const one = await putFrame('image/c/one.fits', 100, 100)
    const two = await putFrame('image/c/two.fits', 100, 100)
    const first = loaded(await new FitsImages(store, { worker: false }).load(one))
    // Room for one image and a half.
    const fits = new FitsImages(store, { worker: false, cacheBytes: Math.floor(first.bytes * 1.5) })
    const a = loaded(await fits.load(one))
    expect(loaded(await fits.load(one))).toBe(a)
    const b = loaded(await fits.load(two))
    expect(loaded(await fits.load(two))).toBe(b)
    expect(loaded(await fits.load(one))).not.toBe(a)
  })

  it('refuses an object larger than the pixel limit allows before reading it', async () => {
    const fits = new FitsImages(store, { worker: false, maxPixels: 1000 })
    const huge = record('image/c/nothing-there.fits', 10_000_000, 1, 1)
    const error = await fits.load(huge).catch((caught: unknown) => caught)
    expect(isImgpipeError(error, 'IMGPIPE_IMAGE_TOO_LARGE')).toBe(true)
  })
})
