import type { AnalyzerReference } from '../../core/ports/analyzer.js'
import type { ObjectStore } from '../../core/ports/object-store.js'
import type { ReferenceRecord } from '../../core/ports/science-ledger.js'
import { NotFoundError } from '../../core/errors.js'
import type { ScienceCompute } from './science-context.js'

/**
 * Loaded references a process keeps: a 4096² reference is 128 MB (image and noise, float32), so two fields of that
 * size, or dozens of 2048² ones; a field's frames usually come together, so the last few fields cover a night.
 */
export const REFERENCE_CACHE_BYTES = 256 * 1024 * 1024

/**
 * Where the analyze stage gets a field's reference pixels: read from the object store once and kept by referenceId
 * (a version never changes once `ready`), least recently used evicted first, bounded by bytes. Concurrent handlers
 * asking for the same reference share one read.
 */
export class ReferenceSource {
  private readonly cache = new Map<number, AnalyzerReference>()
  private readonly loading = new Map<number, Promise<AnalyzerReference>>()
  private bytes = 0

  constructor(
    private readonly store: ObjectStore,
    private readonly compute: Pick<ScienceCompute, 'readReference'>,
    private readonly maxBytes = REFERENCE_CACHE_BYTES,
  ) {}

  async load(record: ReferenceRecord): Promise<AnalyzerReference> {
    const cached = this.cache.get(record.referenceId)
    if (cached !== undefined) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.cache.delete(record.referenceId)
      this.cache.set(record.referenceId, cached)
      return cached
    }
    const pending = this.loading.get(record.referenceId)
    if (pending !== undefined) return pending
    const read = this.read(record).finally(() => this.loading.delete(record.referenceId))
    this.loading.set(record.referenceId, read)
    return read
  }

  private async read(record: ReferenceRecord): Promise<AnalyzerReference> {
    if (record.objectKey === null) throw new NotFoundError(`reference ${record.referenceId} has no stored object yet`)
    const reference = this.compute.readReference(record.referenceId, await this.store.get(record.objectKey))
    this.keep(reference)
    return reference
  }

  private keep(reference: AnalyzerReference): void {
    const cost = costOf(reference)
    if (cost > this.maxBytes) return
    while (this.bytes + cost > this.maxBytes) {
      const oldest = this.cache.keys().next().value
      if (oldest === undefined) break
      this.bytes -= costOf(this.cache.get(oldest)!)
      this.cache.delete(oldest)
    }
    this.cache.set(reference.referenceId, reference)
    this.bytes += cost
  }
}

function costOf(reference: AnalyzerReference): number {
  return reference.image.data.byteLength + reference.noise.data.byteLength
}
