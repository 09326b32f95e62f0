import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import sharp from 'sharp'
import { headerLookup, type HeaderCard } from '../analysis/fits/header-card.js'
import { readWcs, type Wcs } from '../analysis/wcs/wcs.js'
import { DEFAULT_MAX_IMAGE_PIXELS } from '../core/analysis-options.js'
import { FitsError, ImageTooLargeError, InternalError, isImgpipeError, type FitsErrorReason } from '../core/errors.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import type { ImageRecord } from '../core/types.js'
import { renderFits, type FitsRendering } from './fits-render.js'
import type { WorkerRequest } from './fits-render-worker.js'

/**
 * Science (FITS) images for the web viewer: the recorded HDU decoded to float32 once, its zscale + asinh preview
 * as a PNG (lossless: the grey levels are the stretch's, with no JPEG ringing around stars and the mask colour
 * exact), and its pixel values and WCS for the cursor readout.
 *
 * Bounded everywhere: decoded images are kept in a least-recently-used cache bounded by bytes; one image is
 * decoded at a time (a 4096² frame is ~0.5 s of CPU on a 2-core machine shared with the pipeline), at most
 * {@link MAX_WAITING} more wait, and beyond that a request is told the server is busy; an object larger than
 * the pixel limit allows is refused before it is read. The decoding runs in a worker thread when the server runs
 * from the build (`dist/`), so the event loop keeps serving pages and live alerts meanwhile; from the TypeScript
 * sources (the tests) it runs inline, since a worker cannot load them.
 */

/** The longest side of a preview: a 4096² frame is shown 3× shrunk (1366²), each preview pixel a 3×3 mean. */
const PREVIEW_MAX_SIZE = 1600
/** Decoded images kept for the pixel readout and the preview: four 4096² frames. */
const DEFAULT_CACHE_BYTES = 288 * 1024 * 1024
/** As thumbnails and ingest: IMGPIPE_MAX_IMAGE_PIXELS' default. */
const MAX_PIXELS = DEFAULT_MAX_IMAGE_PIXELS
const MAX_WAITING = 8

const FITS_NAME = /\.(fits|fit|fts)(\.gz)?$/i

/** The preview's shrink factor for an image of this size: the same rule as analysis/display/preview.ts. */
export function previewFactor(width: number, height: number, maxSize = PREVIEW_MAX_SIZE): number {
  return Math.max(1, Math.ceil(Math.max(width, height) / maxSize))
}

/** Whether the row is a science image: recorded as FITS (or with an observation), or so named. */
export function isFitsImage(image: Pick<ImageRecord, 'format' | 'imageObjectKey' | 'observation'>): boolean {
  return image.format === 'fits' || (image.observation !== undefined && image.observation !== null) || FITS_NAME.test(image.imageObjectKey)
}

export interface LoadedFits {
  hdu: number
  header: HeaderCard[]
  width: number
  height: number
  data: Float32Array
  /** The celestial WCS, or null (with the reason) when the header has none we can use. */
  wcs: Wcs | null
  wcsProblem: string | null
  preview: { width: number; height: number; factor: number; vmin: number; vmax: number }
  png: Buffer
  /** What the entry holds in memory. */
  bytes: number
}

/** A FITS object to load: where it is, what names its version (a content hash, a row id), and which HDU. */
export interface FitsSource {
  key: string
  version: string
  /** The first image HDU when absent. */
  hdu?: number
  /** Its recorded size, to refuse a huge one before reading it; null when not recorded. */
  byteSize: number | null
  /** How messages name it, e.g. `image 12`, `reference 3`. */
  what: string
}

function fitsSourceOf(image: ImageRecord): FitsSource {
  const hdu = image.observation?.hdu
  return {
    key: image.imageObjectKey,
    version: image.contentSha256 ?? '',
    byteSize: image.byteSize,
    what: `image ${image.imageId}`,
    ...(hdu === undefined ? {} : { hdu }),
  }
}

export interface PixelReadout {
  /** FITS 1-based pixel coordinates: (1, 1) is the centre of the first pixel of the data array. */
  x: number
  y: number
  /** The pixel's value after BZERO/BSCALE; null when it is masked (BLANK or NaN). */
  value: number | null
  /** Longitude/latitude of the pixel centre in degrees (RA/Dec for equatorial systems); null without a WCS. */
  sky: { ra: number; dec: number; system: string; equatorial: boolean } | null
}

export interface FitsImagesOptions {
  cacheBytes?: number
  maxPixels?: number
  /** Use the worker thread when it can run (default true); false renders inline. */
  worker?: boolean
  /** The worker's module (default: the compiled `fits-render-worker.js` beside this one), for tests. */
  workerUrl?: URL
}

export class FitsImages {
  readonly #store: ObjectStore
  readonly #cacheBytes: number
  readonly #maxPixels: number
  /** Insertion order is recency: a hit is moved to the end, eviction takes from the front. */
  readonly #cache = new Map<string, LoadedFits>()
  #cached = 0
  readonly #loading = new Map<string, Promise<LoadedFits>>()
  readonly #waiting: (() => void)[] = []
  #active = false
  readonly #worker: RenderWorker | null

  constructor(store: ObjectStore, options: FitsImagesOptions = {}) {
    this.#store = store
    this.#cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES
    this.#maxPixels = options.maxPixels ?? MAX_PIXELS
    this.#worker = options.worker === false ? null : RenderWorker.create(options.workerUrl)
  }

  /** Whether renders run in a worker thread (the built server) or inline (from the sources). */
  get inWorker(): boolean {
    return this.#worker !== null
  }

  /**
   * The decoded image and its preview; 'busy' when too many renders already wait. Rejects with the store's
   * ObjectNotFoundError, a FitsError for a file that cannot be read, ImageTooLargeError before reading a huge one.
   */
  async load(image: ImageRecord): Promise<LoadedFits | 'busy'>
  /** `wait`: queue however many wait, for callers that bound their own requests (thumbnails). */
  async load(image: ImageRecord, options: { wait: true }): Promise<LoadedFits>
  async load(image: ImageRecord, options: { wait?: boolean } = {}): Promise<LoadedFits | 'busy'> {
    return this.loadObject(fitsSourceOf(image), options)
  }

  /**
   * Any FITS object the catalog references (an image, a reference, a derivative such as `difference.fits`): the
   * same cache, queue and worker as images, keyed by the object and what names its version.
   */
  async loadObject(source: FitsSource, options: { wait?: boolean } = {}): Promise<LoadedFits | 'busy'> {
    const key = `${source.key}\n${source.version}\n${source.hdu ?? ''}`
    const hit = this.#cache.get(key)
    if (hit !== undefined) {
      this.#cache.delete(key)
      this.#cache.set(key, hit)
      return hit
    }
    let loading = this.#loading.get(key)
    if (loading === undefined) {
      if (this.#waiting.length >= MAX_WAITING && options.wait !== true) return 'busy'
      loading = this.#bounded(() => this.#render(source))
        .then((loaded) => {
          this.#remember(key, loaded)
          return loaded
        })
        .finally(() => this.#loading.delete(key))
      this.#loading.set(key, loading)
    }
    return loading
  }

  /** The value and sky position of FITS pixel (x, y), 1-based; null when outside the image. */
  static readout(loaded: LoadedFits, x: number, y: number): PixelReadout | null {
    if (!(x >= 1 && x <= loaded.width && y >= 1 && y <= loaded.height)) return null
    const value = loaded.data[(y - 1) * loaded.width + (x - 1)]!
    let sky: PixelReadout['sky'] = null
    if (loaded.wcs !== null) {
      // The science code's pixels are 0-based (astropy's origin=0): FITS pixel p is p − 1 there.
      const position = loaded.wcs.pixelToSky(x - 1, y - 1)
      if (Number.isFinite(position.ra) && Number.isFinite(position.dec)) {
        const { system, ctype } = loaded.wcs.parameters
        const equatorial = /^(RA|DEC)/.test(ctype[0])
        sky = { ra: position.ra, dec: position.dec, system, equatorial }
      }
    }
    return { x, y, value: Number.isNaN(value) ? null : value, sky }
  }

  async close(): Promise<void> {
    this.#cache.clear()
    this.#cached = 0
    await this.#worker?.close()
  }

  async #render(source: FitsSource): Promise<LoadedFits> {
    const { hdu } = source
    // A data unit can hold at most 8 bytes a pixel (BITPIX −64) plus headers; a bigger object is not read at all.
    // gzip is bounded by the reader's inflate limit instead.
    const limit = this.#maxPixels * 8 + 8 * 1024 * 1024
    if (source.byteSize !== null && source.byteSize > limit) {
      throw new ImageTooLargeError(`${source.what} is ${source.byteSize} bytes, more than a ${this.#maxPixels}-pixel FITS file can be`)
    }
    const stored = await this.#store.get(source.key)
    if (stored.length > limit) throw new ImageTooLargeError(`${source.what} is ${stored.length} bytes, too large to preview`)
    // An exclusive buffer: the reader swaps pixels in place, and the worker takes the buffer over.
    const bytes =
      stored.byteOffset === 0 && stored.byteLength === stored.buffer.byteLength ? new Uint8Array(stored.buffer) : new Uint8Array(stored)
    const request = { bytes, maxPixels: this.#maxPixels, maxSize: PREVIEW_MAX_SIZE, ...(hdu === undefined ? {} : { hdu }) }
    const rendering = this.#worker === null ? renderFits(request) : await this.#worker.render(request)
    const { preview } = rendering
    const png = await sharp(rendering.preview.rgb, { raw: { width: preview.width, height: preview.height, channels: 3 } })
      .png({ compressionLevel: 6 })
      .toBuffer()
    const { wcs, problem } = wcsOf(rendering.header)
    return {
      hdu: rendering.hdu,
      header: rendering.header,
      width: rendering.width,
      height: rendering.height,
      data: rendering.data,
      wcs,
      wcsProblem: problem,
      preview: { width: preview.width, height: preview.height, factor: preview.factor, vmin: preview.vmin, vmax: preview.vmax },
      png,
      // The pixels may be a view of the whole (inflated) file: that is what stays in memory.
      bytes: rendering.data.buffer.byteLength + png.length + 80 * rendering.header.length,
    }
  }

  #remember(key: string, loaded: LoadedFits): void {
    // An image larger than the whole cache is served but not kept.
    if (loaded.bytes > this.#cacheBytes) return
    this.#cache.set(key, loaded)
    this.#cached += loaded.bytes
    for (const [oldKey, old] of this.#cache) {
      if (this.#cached <= this.#cacheBytes) break
      this.#cache.delete(oldKey)
      this.#cached -= old.bytes
    }
  }

  async #bounded<T>(work: () => Promise<T>): Promise<T> {
    while (this.#active) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    this.#active = true
    try {
      return await work()
    } finally {
      this.#active = false
      this.#waiting.shift()?.()
    }
  }
}

function wcsOf(header: HeaderCard[]): { wcs: Wcs | null; problem: string | null } {
  const lookup = headerLookup(header)
  if (lookup.get('CTYPE1') === undefined) return { wcs: null, problem: 'the header has no WCS (no CTYPE1)' }
  try {
    return { wcs: readWcs(lookup), problem: null }
  } catch (error) {
    return { wcs: null, problem: error instanceof Error ? error.message : String(error) }
  }
}

interface Pending {
  resolve(rendering: FitsRendering): void
  reject(error: unknown): void
}

/** One worker thread, started on first use and again after a crash; unref'd so it never holds the process open. */
class RenderWorker {
  readonly #url: URL
  #worker: Worker | null = null
  #nextId = 1
  readonly #pending = new Map<number, Pending>()

  private constructor(url: URL) {
    this.#url = url
  }

  /** Null when the compiled worker is not beside this module (running from the TypeScript sources). */
  static create(url = new URL('./fits-render-worker.js', import.meta.url)): RenderWorker | null {
    return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? new RenderWorker(url) : null
  }

  render(request: Omit<WorkerRequest, 'id'>): Promise<FitsRendering> {
    const worker = this.#start()
    const id = this.#nextId++
    return new Promise<FitsRendering>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      worker.ref()
      worker.postMessage({ ...request, id } satisfies WorkerRequest, [request.bytes.buffer as ArrayBuffer])
    })
  }

  async close(): Promise<void> {
    const worker = this.#worker
    this.#worker = null
    if (worker !== null) await worker.terminate()
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker
    const worker = new Worker(this.#url)
    worker.unref()
    worker.on('message', (message: { id: number; rendering?: FitsRendering; error?: { code: string; message: string } }) => {
      const pending = this.#pending.get(message.id)
      this.#pending.delete(message.id)
      if (this.#pending.size === 0) worker.unref()
      if (pending === undefined) return
      if (message.rendering !== undefined) pending.resolve(message.rendering)
      else pending.reject(errorOf(message.error))
    })
    const fail = (error: unknown): void => {
      if (this.#worker === worker) this.#worker = null
      for (const pending of this.#pending.values()) pending.reject(new InternalError('the FITS render worker stopped', { cause: error }))
      this.#pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)))
    this.#worker = worker
    return worker
  }
}

/** The worker's failure as the error the reader threw (its reason leads its message). */
function errorOf(error: { code: string; message: string } | undefined): Error {
  const match = /^(FITS_[A-Z_]+): (.*)$/s.exec(error?.message ?? '')
  if (match !== null) return new FitsError(match[1] as FitsErrorReason, match[2]!)
  return new InternalError(`FITS render failed: ${error?.message ?? 'no reason given'}`)
}

/** Whether the error is the file's fault (unreadable, too large), not the server's. */
export function isUnreadableFits(error: unknown): boolean {
  return isImgpipeError(error, 'IMGPIPE_IMAGE_INVALID', 'IMGPIPE_IMAGE_TOO_LARGE', 'IMGPIPE_WCS_INVALID')
}
