/**
 * Object storage for image bytes and derivative images (the original used one S3 bucket).
 *
 * Keys are relative, `/`-separated paths such as `image/mock/image_00001.jpg`; adapters reject keys that
 * could escape their root (see `assertValidObjectKey`). `put` is atomic and last-writer-wins, so a stage
 * that re-runs after a crash simply rewrites the same deterministic key with the same bytes.
 *
 * Implementations: local directory, S3 (any S3-compatible server), in-memory fake for tests.
 *
 * Leaves out: versioning, multipart or streaming uploads (images are small enough to hold in memory),
 * presigned URLs and access control; the web viewer serves bytes itself after checking the catalog.
 */
import type { Readable } from 'node:stream'

export interface StoredObject {
  key: string
  size: number
  lastModified: Date | null
}

export interface ObjectStore {
  /** Location without credentials, e.g. `file:/abs/data/objects` or `s3://bucket/prefix`. */
  readonly description: string

  put(key: string, bytes: Uint8Array, options?: { contentType?: string }): Promise<void>
  /** Throws ObjectNotFoundError when absent. */
  get(key: string): Promise<Buffer>
  /**
   * Optional: the bytes as a stream, for serving large objects without holding them whole (the web viewer).
   * Rejects with ObjectNotFoundError before the first byte when absent; callers without it use `get`.
   */
  getStream?(key: string): Promise<{ stream: Readable; size: number; lastModified: Date | null }>
  /** Size and modification time, or null when absent. */
  stat(key: string): Promise<StoredObject | null>
  /** Every object under the prefix ('' for all), in key order. */
  list(prefix?: string): AsyncIterable<StoredObject>
  /** Deletes the keys; absent keys are not an error. */
  delete(keys: readonly string[]): Promise<void>
  /** Creates the bucket/directory when missing (and sweeps what crashed writes left long ago, if any). */
  ensureReady(): Promise<void>
  /**
   * Deletes what unfinished writes left under the prefix (the directory store's temporary files), for
   * `imgpipe store empty`; returns how many. Absent where writes leave nothing behind (S3, memory).
   */
  removeLeftovers?(prefix?: string): Promise<number>
  close(): Promise<void>
}
