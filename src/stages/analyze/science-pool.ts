/**
 * Difference imaging off the event loop (issue 18): a piscina pool of worker threads, one per core, running
 * analysis/diffim/diffim-worker.ts, so an analyze process keeps answering health checks, scraping metrics and
 * committing offsets while a 4096² frame is subtracted (seconds of CPU).
 *
 * - Science pixels are transferred to the worker, not copied: the caller gives them up (`analyze` detaches them
 *   unless told to copy).
 * - A reference's pixels are copied once into SharedArrayBuffers and every task and worker reads those; the pool
 *   keeps the most recent references up to `maxReferenceBytes`. Each worker caches the reference PSFs it measured.
 * - The queue is bounded by bytes: `analyze` and `buildReference` wait while the pixels of the tasks admitted
 *   (queued or running) would pass `maxQueuedBytes` — one task is always admitted, however large.
 * - When the compiled worker is not beside this module (running from the TypeScript sources, as the tests do
 *   unless they compile it) the same work runs inline: same results, on the calling thread.
 */
import { existsSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import { buildReference } from '../../analysis/diffim/build-reference.js'
import { diffimAnalyzer, diffimRequestOf, DIFFIM_ANALYZER, encodeDiffimOutput } from '../../analysis/diffim/diffim-analyzer.js'
import type { DiffimOptions, DiffimProducts, DiffimReferencePixels } from '../../analysis/diffim/diffim-products.js'
import type { BuiltReferenceFile, ScienceTask } from '../../analysis/diffim/diffim-worker.js'
import { cardsOfHeaderText } from '../../analysis/diffim/header-text.js'
import { encodeReferenceFile } from '../../analysis/diffim/reference-file.js'
import type { FloatImage } from '../../analysis/float-image.js'
import type { Analyzer, AnalyzerInput, AnalyzerOutput, AnalyzerReference } from '../../core/ports/analyzer.js'

export interface SciencePoolOptions {
  /** Worker threads (default: the cores, os.availableParallelism()). */
  readonly threads?: number
  /** Pixel bytes of the tasks admitted at once, queued or running (default 256 MiB: four 4096² float frames). */
  readonly maxQueuedBytes?: number
  /** Reference pixels kept in shared memory (default 512 MiB: four 4096² references with their noise maps). */
  readonly maxReferenceBytes?: number
  /** The analyzer's options for every image. */
  readonly diffim?: DiffimOptions
  /** The worker's module (default: the compiled diffim-worker.js); tests give a compiled copy. */
  readonly workerUrl?: URL
  /** false runs everything inline (default true: the worker when it can run). */
  readonly worker?: boolean
}

/** A frame for a reference build: its pixels (given up to the pool) and its FITS header text. */
export interface ReferenceFrame {
  readonly image: FloatImage
  readonly header: string
}

export interface AnalyzeOptions {
  /** Copy the science pixels instead of handing them over (default false: the caller's pixels are detached). */
  readonly keepPixels?: boolean
}

const MIB = 1024 * 1024

export class SciencePool {
  readonly #pool: Piscina<ScienceTask, DiffimProducts | BuiltReferenceFile> | null
  readonly #options: DiffimOptions
  readonly #inline: Analyzer
  readonly #maxQueuedBytes: number
  readonly #maxReferenceBytes: number
  #queuedBytes = 0
  readonly #waiting: (() => void)[] = []
  readonly #references = new Map<number, { pixels: DiffimReferencePixels; bytes: number }>()
  #referenceBytes = 0

  constructor(options: SciencePoolOptions = {}) {
    this.#options = options.diffim ?? {}
    this.#inline = diffimAnalyzer(this.#options)
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 256 * MIB
    this.#maxReferenceBytes = options.maxReferenceBytes ?? 512 * MIB
    const url = options.workerUrl ?? new URL('../../analysis/diffim/diffim-worker.js', import.meta.url)
    const runnable = options.worker !== false && url.protocol === 'file:' && existsSync(fileURLToPath(url))
    const threads = Math.max(1, options.threads ?? os.availableParallelism())
    this.#pool = runnable ? new Piscina({ filename: url.href, minThreads: 1, maxThreads: threads, idleTimeout: 60_000 }) : null
  }

  /** Whether the work runs in worker threads (the built code) or inline (from the sources). */
  get inWorker(): boolean {
    return this.#pool !== null
  }

  /** Worker threads at most. */
  get threads(): number {
    return this.#pool?.options.maxThreads ?? 0
  }

  /** Difference imaging of one image against its reference, as the `diffim` analyzer does it. */
  async analyze(input: AnalyzerInput, options: AnalyzeOptions = {}): Promise<AnalyzerOutput> {
    const pool = this.#pool
    if (pool === null) return this.#inline.analyze(input)
    const request = diffimRequestOf(input, this.#options)
    if (request === null) return this.#inline.analyze(input)
    const science = options.keepPixels === true ? copyImage(request.science) : ownImage(request.science)
    const reference = this.#shared(input.reference!)
    const products = await this.#admitted(science.data.byteLength, () =>
      pool.run({ kind: 'analyze', request: { ...request, science, reference } }, { transferList: [science.data.buffer as ArrayBuffer] }),
    )
    return encodeDiffimOutput(products as DiffimProducts)
  }

  /** A reference file (reference-file.ts) built from frames of one field; the frames' pixels are given up. */
  async buildReference(frames: readonly ReferenceFrame[], fwhmGuess?: number): Promise<Buffer> {
    const pool = this.#pool
    if (pool === null) {
      const built = buildReference(
        frames.map((frame) => ({ image: frame.image, cards: cardsOfHeaderText(frame.header) })),
        fwhmGuess,
      )
      return asBuffer(encodeReferenceFile(built))
    }
    const owned = frames.map((frame) => ({ image: ownImage(frame.image), header: frame.header }))
    const bytes = owned.reduce((sum, frame) => sum + frame.image.data.byteLength, 0)
    const task: ScienceTask = { kind: 'build-reference', frames: owned, ...(fwhmGuess === undefined ? {} : { fwhmGuess }) }
    const built = await this.#admitted(bytes, () =>
      pool.run(task, { transferList: owned.map((frame) => frame.image.data.buffer as ArrayBuffer) }),
    )
    return asBuffer((built as BuiltReferenceFile).bytes)
  }

  async close(): Promise<void> {
    this.#references.clear()
    this.#referenceBytes = 0
    await this.#pool?.destroy()
  }

  /** Runs `work` once `bytes` fit under the queue's bound (or nothing else is admitted). */
  async #admitted<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    while (this.#queuedBytes > 0 && this.#queuedBytes + bytes > this.#maxQueuedBytes) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    }
    this.#queuedBytes += bytes
    try {
      return await work()
    } finally {
      this.#queuedBytes -= bytes
      // Wake everyone: each checks the bound again, in the order they came.
      for (const wake of this.#waiting.splice(0)) wake()
    }
  }

  /** The reference in shared memory, copied there on first use; older references leave past the byte bound. */
  #shared(reference: AnalyzerReference): DiffimReferencePixels {
    const known = this.#references.get(reference.referenceId)
    if (known !== undefined) {
      this.#references.delete(reference.referenceId)
      this.#references.set(reference.referenceId, known)
      return known.pixels
    }
    const pixels = {
      referenceId: reference.referenceId,
      image: sharedImage(reference.image),
      noise: sharedImage(reference.noise),
      header: reference.header,
    }
    const bytes = pixels.image.data.byteLength + pixels.noise.data.byteLength
    this.#references.set(reference.referenceId, { pixels, bytes })
    this.#referenceBytes += bytes
    for (const [id, entry] of this.#references) {
      if (this.#referenceBytes <= this.#maxReferenceBytes || id === reference.referenceId) break
      this.#references.delete(id)
      this.#referenceBytes -= entry.bytes
    }
    return pixels
  }
}

/**
 * The `diffim` analyzer with its pixel work in the pool. The science pixels are handed over (detached) unless
 * `keepPixels`: a caller that keeps them (a decode cache, the next image's `previous`) must say so.
 */
export function pooledDiffimAnalyzer(pool: SciencePool, options: AnalyzeOptions = {}): Analyzer {
  return { ...DIFFIM_ANALYZER, analyze: (input) => pool.analyze(input, options) }
}

function sharedImage(image: FloatImage): FloatImage {
  if (image.data.buffer instanceof SharedArrayBuffer) return image
  const data = new Float32Array(new SharedArrayBuffer(image.data.byteLength))
  data.set(image.data)
  return { width: image.width, height: image.height, data }
}

/** The image on a buffer of its own, so transferring it detaches nothing else (a FITS file read in place, say). */
function ownImage(image: FloatImage): FloatImage {
  const { data } = image
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !(data.buffer instanceof SharedArrayBuffer)) return image
  return copyImage(image)
}

function copyImage(image: FloatImage): FloatImage {
  return { width: image.width, height: image.height, data: Float32Array.from(image.data) }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
