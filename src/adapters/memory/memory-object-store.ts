import { Readable } from 'node:stream'
import { ClosedError, ObjectNotFoundError } from '../../core/errors.js'
import { assertValidObjectKey, assertValidPrefix, compareObjectKeys } from '../../core/object-keys.js'
import type { ObjectStore, StoredObject } from '../../core/ports/object-store.js'
import { describeMemoryBackend } from './memory-options.js'

interface Entry {
  bytes: Buffer
  lastModified: Date
}

/**
 * Objects in a Map, for tests and the all-in-memory mode (`memory:`). Same key rules, ordering and
 * errors as the real stores. Bytes are copied on the way in and out, so neither the caller that put
 * a buffer nor one that got it can change what is stored (a real store would not let them either).
 */
export class MemoryObjectStore implements ObjectStore {
  readonly description = describeMemoryBackend()
  private readonly objects = new Map<string, Entry>()
  private closed = false

  async put(key: string, bytes: Uint8Array): Promise<void> {
    assertValidObjectKey(key)
    this.checkOpen()
    this.objects.set(key, { bytes: Buffer.from(bytes), lastModified: new Date() })
  }

  async get(key: string): Promise<Buffer> {
    assertValidObjectKey(key)
    this.checkOpen()
    const entry = this.objects.get(key)
    if (entry === undefined) throw new ObjectNotFoundError(key)
    return Buffer.from(entry.bytes)
  }

  async getStream(key: string): Promise<{ stream: Readable; size: number; lastModified: Date | null }> {
    const bytes = await this.get(key)
    return { stream: Readable.from([bytes]), size: bytes.length, lastModified: this.objects.get(key)?.lastModified ?? null }
  }

  async stat(key: string): Promise<StoredObject | null> {
    assertValidObjectKey(key)
    this.checkOpen()
    const entry = this.objects.get(key)
    return entry === undefined ? null : { key, size: entry.bytes.length, lastModified: entry.lastModified }
  }

  async *list(prefix = ''): AsyncIterable<StoredObject> {
    assertValidPrefix(prefix)
    this.checkOpen()
    // A snapshot of the keys: puts and deletes during the iteration do not disturb it (as with S3 pages).
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort(compareObjectKeys)
    for (const key of keys) {
      const entry = this.objects.get(key)
      if (entry !== undefined) yield { key, size: entry.bytes.length, lastModified: entry.lastModified }
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertValidObjectKey(key)
    this.checkOpen()
    for (const key of keys) this.objects.delete(key)
  }

  async ensureReady(): Promise<void> {
    this.checkOpen()
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError('object store memory:')
  }
}
