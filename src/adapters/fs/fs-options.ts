import { existsSync } from 'node:fs'
import { rmdir } from 'node:fs/promises'
import path from 'node:path'
import { assertValidPrefix } from '../../core/object-keys.js'
import { localPath, type UrlContext } from '../../core/setting-values.js'

/** Where a directory object store lives, and how it writes. */
export interface FsObjectStoreOptions {
  /** The root directory; objects are files below it, named by their keys. */
  dir: string
  /**
   * fsync each object before renaming it into place (default true). Without it, a power loss (not a
   * process crash) can leave an empty file under a key whose catalog row was already committed.
   */
  fsync?: boolean
}

/** `file:<dir>`: where the objects are. */
export function describeFsObjectStore(options: Pick<FsObjectStoreOptions, 'dir'>): string {
  return `file:${options.dir}`
}

/** True when the store's directory is not there yet (the first run, or `ensureReady`, makes it). */
export function isFsObjectStoreMissing(options: Pick<FsObjectStoreOptions, 'dir'>): boolean {
  return !existsSync(options.dir)
}

/**
 * Removes the directory of `prefix` (e.g. `imgpipe-check/`) once its objects are deleted: a directory
 * store keeps empty directories where S3 keeps nothing. A directory that still holds files stays.
 */
export async function removeEmptyFsPrefix(options: Pick<FsObjectStoreOptions, 'dir'>, prefix: string): Promise<void> {
  assertValidPrefix(prefix)
  await rmdir(path.join(options.dir, prefix)).catch(() => undefined)
}

/** The store directory when IMGPIPE_OBJECT_STORE_URL is unset (or just `file:`), relative to the cwd. */
export const DEFAULT_STORE_DIR = 'data/objects'

/** `file:<dir>` or `file:` (the default directory) into the adapter's options. */
export function fsFromUrl(value: string, context: UrlContext): FsObjectStoreOptions {
  const rest = value.slice('file:'.length)
  return { dir: rest === '' ? path.resolve(context.cwd, DEFAULT_STORE_DIR) : localPath(context, value, rest) }
}
