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
