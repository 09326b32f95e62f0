import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import type { Dirent } from 'node:fs'
import { lstat, mkdir, open, readdir, readFile, realpath, rename, rm, unlink } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { errorCode, isTransientCode } from '../../core/error-chain.js'
import { ClosedError, isImgpipeError, ObjectKeyInvalidError, ObjectNotFoundError, StoreUnavailableError } from '../../core/errors.js'
import { assertValidObjectKey, assertValidPrefix, compareObjectKeys } from '../../core/object-keys.js'
import type { ObjectStore, StoredObject } from '../../core/ports/object-store.js'
import { STALE_TEMP_FILE_MS, sweepTempFiles } from './fs-temp-files.js'
import { describeFsObjectStore, type FsObjectStoreOptions } from './fs-options.js'

/**
 * Objects as files under one directory: key `image/mock/image_00001.jpg` is the file
 * `<dir>/image/mock/image_00001.jpg`, so an operator can look at the images with ordinary tools.
 *
 * A put writes a temporary file beside the target and renames it over the key: rename is atomic on
 * POSIX file systems, so a reader or a crash sees the old object or the new one, never half of one.
 * Temporary names start with {@link FS_TEMP_FILE_PREFIX}; `list` skips them and keys may not use it.
 *
 * A file system cannot hold both a file `a` and a directory `a/`, so keys `a` and `a/b` cannot coexist
 * here (S3 allows it); the pipeline's keys never do that.
 */

/** Leading part of the temporary files a put leaves behind if the process dies before its rename. */
export const FS_TEMP_FILE_PREFIX = '.imgpipe-tmp-'

/** Errors that a later attempt can get past: descriptor exhaustion, contention, flaky (network) disks. */
const HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'check the permissions of the store directory',
  EPERM: 'check the permissions of the store directory',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a path component is a file, not a directory',
  EEXIST: 'a file has the name of the store directory',
}

/** Parallel stat/unlink calls per batch: enough to hide latency, few enough to stay clear of EMFILE. */
const BATCH = 64

export class FsObjectStore implements ObjectStore {
  readonly description: string
  private readonly dir: string
  private readonly fsync: boolean
  /** Directories known to exist and to resolve inside the store: checked once, then trusted. */
  private readonly verifiedDirs = new Set<string>()
  private realRoot: Promise<string> | undefined
  private closed = false

  constructor(dir: string, options: Omit<FsObjectStoreOptions, 'dir'> = {}) {
    this.dir = path.resolve(dir)
    this.fsync = options.fsync ?? true
    this.description = describeFsObjectStore({ dir: this.dir })
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.checkKey(key)
    this.checkOpen()
    const file = this.filePath(key)
    const parent = path.dirname(file)
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.verifyDir(key, parent, true)
      } catch (error) {
        throw this.toStoreError(error, 'create the directory of', key)
      }
      const temp = path.join(parent, `${FS_TEMP_FILE_PREFIX}${randomBytes(8).toString('hex')}`)
      try {
        await this.writeTemp(temp, bytes)
        await rename(temp, file)
        return
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined)
        // Someone removed the directory behind our cache's back (e.g. an operator clearing old images).
        if (errorCode(error) === 'ENOENT' && attempt === 1) {
          this.verifiedDirs.delete(parent)
          continue
        }
        if (errorCode(error) === 'EISDIR' || errorCode(error) === 'ENOTEMPTY') {
          throw new ObjectKeyInvalidError(key, 'a directory of other objects already has this name')
        }
        if (errorCode(error) === 'ENOTDIR') {
          this.verifiedDirs.delete(parent)
          throw new ObjectKeyInvalidError(key, 'an object already has the name of one of its directories')
        }
        throw this.toStoreError(error, 'write', key)
      }
    }
  }

  async get(key: string): Promise<Buffer> {
    this.checkKey(key)
    this.checkOpen()
    const file = this.filePath(key)
    try {
      await this.verifyDir(key, path.dirname(file), false)
      // O_NOFOLLOW: a symbolic link planted under a key must not expose a file outside the store.
      return await readFile(file, { flag: constants.O_RDONLY | constants.O_NOFOLLOW })
    } catch (error) {
      if (isAbsent(error)) throw new ObjectNotFoundError(key, { cause: error })
      if (errorCode(error) === 'ELOOP') throw new ObjectKeyInvalidError(key, 'is a symbolic link')
      throw this.toStoreError(error, 'read', key)
    }
  }

  async getStream(key: string): Promise<{ stream: Readable; size: number; lastModified: Date | null }> {
    this.checkKey(key)
    this.checkOpen()
    const file = this.filePath(key)
    try {
      await this.verifyDir(key, path.dirname(file), false)
      const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
      try {
        const info = await handle.stat()
        // open() of a directory succeeds on Linux; only the first read fails (EISDIR), after a viewer has sent its
        // headers. A key that names a directory is no object, as get() and stat() already say.
        if (!info.isFile()) throw Object.assign(new Error(`"${key}" is not a regular file`), { code: 'EISDIR' })
        return { stream: handle.createReadStream(), size: info.size, lastModified: info.mtime }
      } catch (error) {
        await handle.close()
        throw error
      }
    } catch (error) {
      if (isAbsent(error)) throw new ObjectNotFoundError(key, { cause: error })
      if (errorCode(error) === 'ELOOP') throw new ObjectKeyInvalidError(key, 'is a symbolic link')
      throw this.toStoreError(error, 'read', key)
    }
  }

  async stat(key: string): Promise<StoredObject | null> {
    this.checkKey(key)
    this.checkOpen()
    const file = this.filePath(key)
    try {
      await this.verifyDir(key, path.dirname(file), false)
      const info = await lstat(file)
      if (info.isSymbolicLink()) throw new ObjectKeyInvalidError(key, 'is a symbolic link')
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : null
    } catch (error) {
      if (isAbsent(error)) return null
      throw this.toStoreError(error, 'stat', key)
    }
  }

  async *list(prefix = ''): AsyncIterable<StoredObject> {
    assertValidPrefix(prefix)
    this.checkPrefix(prefix)
    this.checkOpen()
    // The prefix is a plain string prefix (S3 semantics): `image` matches `image/...` and `image_x/...`.
    const slash = prefix.lastIndexOf('/')
    const base = prefix.slice(0, slash + 1)
    const start = base === '' ? this.dir : path.join(this.dir, base)
    try {
      await this.verifyDir(prefix, start, false)
    } catch (error) {
      if (isAbsent(error)) return
      throw this.toStoreError(error, 'list', prefix)
    }
    yield* this.walk(start, base, prefix.slice(slash + 1))
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.checkKey(key)
    this.checkOpen()
    for (let index = 0; index < keys.length; index += BATCH) {
      await Promise.all(keys.slice(index, index + BATCH).map((key) => this.deleteOne(key)))
    }
  }

  async ensureReady(): Promise<void> {
    this.checkOpen()
    try {
      await mkdir(this.dir, { recursive: true })
      await this.root()
    } catch (error) {
      throw this.toStoreError(error, 'create', '')
    }
    // What puts killed before their rename left behind (old enough that no live put owns it).
    await sweepTempFiles(await this.root(), FS_TEMP_FILE_PREFIX, '', STALE_TEMP_FILE_MS)
  }

  /** Deletes the temporary files of unfinished puts under the prefix, whatever their age; returns how many. */
  async removeLeftovers(prefix = ''): Promise<number> {
    this.checkOpen()
    assertValidPrefix(prefix)
    return sweepTempFiles(await this.root().catch(() => this.dir), FS_TEMP_FILE_PREFIX, prefix, 0)
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private async deleteOne(key: string): Promise<void> {
    const file = this.filePath(key)
    try {
      await this.verifyDir(key, path.dirname(file), false)
      await unlink(file)
    } catch (error) {
      // A directory under the key is "no object" too (unlink of a directory: EISDIR on Linux, EPERM on macOS).
      if (isAbsent(error) || errorCode(error) === 'EISDIR') return
      if (errorCode(error) === 'EPERM' && (await lstat(file).catch(() => null))?.isDirectory() === true) return
      throw this.toStoreError(error, 'delete', key)
    }
  }

  private async writeTemp(temp: string, bytes: Uint8Array): Promise<void> {
    const handle = await open(temp, 'wx')
    try {
      await handle.writeFile(bytes)
      if (this.fsync) await handle.sync()
    } finally {
      await handle.close()
    }
  }

  /** Depth-first walk in key order: sibling names are compared as they appear inside keys. */
  private async *walk(dir: string, keyBase: string, namePrefix: string): AsyncGenerator<StoredObject> {
    let entries: Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (error) {
      // A directory removed while we walk simply has no more objects.
      if (isAbsent(error)) return
      throw this.toStoreError(error, 'list', keyBase)
    }
    // A directory `a` sorts as `a/`, so `a-c` (0x2d) comes before `a/b` (0x2f) as in S3 listings.
    // Symbolic links are neither files nor directories here: never followed, never listed.
    const items = entries
      .filter((entry) => entry.name.startsWith(namePrefix) && !entry.name.startsWith(FS_TEMP_FILE_PREFIX))
      .filter((entry) => entry.isFile() || entry.isDirectory())
      .map((entry) => ({ sortName: entry.isDirectory() ? `${entry.name}/` : entry.name, entry }))
      .sort((a, b) => compareObjectKeys(a.sortName, b.sortName))
    for (let index = 0; index < items.length;) {
      // Stat a run of consecutive files in parallel; directories are walked in order between runs.
      const first = items[index]
      if (first === undefined) break
      if (first.entry.isDirectory()) {
        yield* this.walk(path.join(dir, first.entry.name), `${keyBase}${first.entry.name}/`, '')
        index += 1
        continue
      }
      let end = index
      while (end < items.length && end - index < BATCH && items[end]?.entry.isFile() === true) end += 1
      const run = items.slice(index, end)
      const stats = await Promise.all(
        run.map(({ entry }) =>
          lstat(path.join(dir, entry.name)).catch((error: unknown) => {
            if (isAbsent(error)) return null
            throw this.toStoreError(error, 'list', `${keyBase}${entry.name}`)
          }),
        ),
      )
      for (const [offset, { entry }] of run.entries()) {
        const info = stats[offset]
        if (info !== null && info !== undefined && info.isFile()) {
          yield { key: `${keyBase}${entry.name}`, size: info.size, lastModified: info.mtime }
        }
      }
      index = end
    }
  }

  /**
   * Makes sure `dir` (the parent of a key, or a listing's start) resolves inside the store even through
   * symbolic links, creating it when `create`. Lexically every valid key stays inside; links may not.
   */
  private async verifyDir(key: string, dir: string, create: boolean): Promise<void> {
    if (this.verifiedDirs.has(dir)) return
    const root = await this.root(create)
    if (create) {
      // Check the deepest existing ancestor before mkdir, so a link cannot make us create directories outside.
      let existing = dir
      for (;;) {
        try {
          this.assertInside(key, root, await realpath(existing))
          break
        } catch (error) {
          if (!isAbsent(error) || existing === this.dir) throw error
          existing = path.dirname(existing)
        }
      }
      try {
        await mkdir(dir, { recursive: true })
      } catch (error) {
        if (errorCode(error) === 'EEXIST' || errorCode(error) === 'ENOTDIR') {
          throw new ObjectKeyInvalidError(key, 'an object already has the name of one of its directories')
        }
        throw error
      }
    }
    this.assertInside(key, root, await realpath(dir))
    this.verifiedDirs.add(dir)
  }

  private assertInside(key: string, root: string, real: string): void {
    if (real !== root && !real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
      throw new ObjectKeyInvalidError(key, 'resolves outside the store directory (through a symbolic link)')
    }
  }

  /** The store directory with its own links resolved (it may itself be a link to a bigger disk). */
  private async root(create = false): Promise<string> {
    if (this.realRoot === undefined) {
      const pending = (async () => {
        if (create) await mkdir(this.dir, { recursive: true })
        return realpath(this.dir)
      })()
      this.realRoot = pending
      // A root that does not exist yet is looked up again next time.
      pending.catch(() => {
        if (this.realRoot === pending) this.realRoot = undefined
      })
    }
    return this.realRoot
  }

  private filePath(key: string): string {
    return path.join(this.dir, key)
  }

  private checkKey(key: string): void {
    assertValidObjectKey(key)
    this.checkPrefix(key)
  }

  private checkPrefix(prefix: string): void {
    // A segment that looks like a temporary file would be invisible to list and could be swept away.
    if (prefix.split('/').some((segment) => segment.startsWith(FS_TEMP_FILE_PREFIX))) {
      throw new ObjectKeyInvalidError(prefix, `"${FS_TEMP_FILE_PREFIX}" names are reserved for temporary files`)
    }
    // A segment longer than the file system's name limit (255 bytes on common systems) cannot be stored.
    if (prefix.split('/').some((segment) => Buffer.byteLength(segment) > 255)) {
      throw new ObjectKeyInvalidError(prefix, 'a path segment is longer than 255 bytes')
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError(`object store ${this.description}`)
  }

  private toStoreError(error: unknown, operation: string, key: string): Error {
    if (isImgpipeError(error, 'IMGPIPE_OBJECT_KEY_INVALID', 'IMGPIPE_CLOSED')) return error
    const code = errorCode(error) ?? 'unknown error'
    const hint = HINTS[code]
    const what = key === '' ? this.dir : `"${key}" in ${this.dir}`
    return new StoreUnavailableError(`cannot ${operation} ${what}: ${code}${hint === undefined ? '' : ` (${hint})`}`, {
      cause: error,
      canRetry: isTransientCode(code),
    })
  }
}

/** The key (or a directory on its path) does not exist, or a path component is a file: no such object. */
function isAbsent(error: unknown): boolean {
  const code = errorCode(error)
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR'
}
