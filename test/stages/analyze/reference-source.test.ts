import { describe, expect, it } from 'vitest'
import { MemoryObjectStore } from '../../../src/adapters/memory/memory-object-store.js'
import type { AnalyzerReference } from '../../../src/core/ports/analyzer.js'
import type { ReferenceRecord } from '../../../src/core/ports/science-ledger.js'
import { ReferenceSource } from '../../../src/stages/analyze/reference-source.js'

/** A reader that counts its reads and makes a side×side reference (image + noise: 8·side² bytes). */
function reader(side: number) {
  const reads: number[] = []
  return {
    reads,
    readReference(referenceId: number, bytes: Buffer): AnalyzerReference {
      reads.push(referenceId)
      const pixels = () => ({ width: side, height: side, data: new Float32Array(side * side).fill(bytes[0]!) })
      return { referenceId, image: pixels(), noise: pixels(), header: '' }
    },
  }
}

function record(referenceId: number, objectKey: string | null): ReferenceRecord {
  return {
    referenceId,
    stream: 's',
    field: 'f',
    filter: 'r',
    version: referenceId,
    status: 'ready',
    objectKey,
    frames: 3,
    fwhm: 2,
    imageIds: [],
    createdAt: new Date(),
  }
}

describe('ReferenceSource', () => {
  it('reads a reference once for concurrent callers, keeps it, and evicts the least recently used past its bytes', async () => {
    const store = new MemoryObjectStore()
    for (const id of [1, 2, 3]) await store.put(`reference/${id}.fits`, Buffer.from([id]))
    const counting = reader(16) // 2 KiB per reference
    const source = new ReferenceSource(store, counting, 2 * 2048)
    const [a, b] = await Promise.all([source.load(record(1, 'reference/1.fits')), source.load(record(1, 'reference/1.fits'))])
    expect(a).toBe(b)
    expect(a.image.data[0]).toBe(1)
    await source.load(record(2, 'reference/2.fits'))
    await source.load(record(1, 'reference/1.fits')) // 1 is now the most recently used
    await source.load(record(3, 'reference/3.fits')) // evicts 2
    await source.load(record(1, 'reference/1.fits'))
    await source.load(record(2, 'reference/2.fits'))
    expect(counting.reads).toEqual([1, 2, 3, 2])
  })

  it('refuses a reference whose object is not stored yet', async () => {
    const source = new ReferenceSource(new MemoryObjectStore(), reader(4))
    await expect(source.load(record(7, null))).rejects.toThrow(/reference 7 has no stored object yet/)
  })
})
