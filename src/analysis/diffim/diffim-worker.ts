/**
 * The science pool's worker thread (stages/analyze/science-pool.ts runs it with piscina): difference imaging of one
 * science image, or building a reference file from frames, off the analyze process's event loop. The science pixels
 * arrive transferred (the caller gave them up), the reference's pixels as views of SharedArrayBuffers (one copy for
 * every worker and task), and each worker keeps the reference PSFs it measured by referenceId, since measuring one
 * costs about as much as a subtraction. Results go back transferred, not copied.
 */
import { move } from 'piscina'
import type { FloatImage } from '../float-image.js'
import { buildReference } from './build-reference.js'
import { diffimProducts, transferablesOf, type DiffimProducts, type DiffimRequest } from './diffim-products.js'
import { cardsOfHeaderText } from './header-text.js'
import type { PsfModel } from './psf-model.js'
import { encodeReferenceFile } from './reference-file.js'

export interface BuildReferenceTask {
  readonly kind: 'build-reference'
  readonly frames: readonly { readonly image: FloatImage; readonly header: string }[]
  readonly fwhmGuess?: number
}

export interface AnalyzeTask {
  readonly kind: 'analyze'
  readonly request: DiffimRequest
}

export type ScienceTask = AnalyzeTask | BuildReferenceTask

/** The reference file's bytes and what it says of itself. */
export interface BuiltReferenceFile {
  readonly bytes: Uint8Array
  readonly fwhm: number
  readonly frames: number
}

/** References a worker keeps the PSF of; a PSF kernel is a few kB, the bound is only against an endless stream. */
const PSF_CACHE_SIZE = 16
const psfs = new Map<number, PsfModel>()

/** piscina's Transferable: the value to send and the buffers to hand over with it. */
function moving<T extends object>(value: T, buffers: ArrayBuffer[]): T {
  return move({
    [Symbol.for('Piscina.transferable')]: buffers,
    [Symbol.for('Piscina.valueOf')]: value,
  } as unknown as Parameters<typeof move>[0]) as unknown as T
}

export default function run(task: ScienceTask): DiffimProducts | BuiltReferenceFile {
  if (task.kind === 'build-reference') {
    const built = buildReference(
      task.frames.map((frame) => ({ image: frame.image, cards: cardsOfHeaderText(frame.header) })),
      task.fwhmGuess,
    )
    const bytes = encodeReferenceFile(built)
    return moving({ bytes, fwhm: built.psf.fwhm, frames: built.frames }, [bytes.buffer as ArrayBuffer])
  }
  const { request } = task
  const referenceId = request.reference.referenceId
  const cached = psfs.get(referenceId)
  const products = diffimProducts(cached === undefined ? request : { ...request, referencePsf: cached })
  psfs.delete(referenceId)
  psfs.set(referenceId, products.referencePsf)
  for (const key of psfs.keys()) if (psfs.size > PSF_CACHE_SIZE) psfs.delete(key)
  return moving(products, transferablesOf(products))
}
