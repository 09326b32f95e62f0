import { constants } from 'node:fs'
import { open } from 'node:fs/promises'

/**
 * The directory store's file calls, in as few system calls as each allows (issue 20: the per-object syscalls
 * were ~9 % of an ingest).
 */

/**
 * open, one fstat, one read of the whole size, close. `readFile` makes the same calls for a small file but reads in
 * 512 KiB chunks, so a 3 MB image cost it seven reads. O_NOFOLLOW: a symbolic link planted under a key must not
 * expose a file outside the store (ELOOP). A file cut short meanwhile returns what was there (the store replaces
 * files by rename, never in place).
 */
export async function readWholeFile(file: string): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    const info = await handle.stat()
    // open() of a directory succeeds on Linux; only a read would fail. A directory is no object.
    if (!info.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EISDIR' })
    const bytes = Buffer.allocUnsafe(info.size)
    let filled = 0
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    return filled === bytes.length ? bytes : bytes.subarray(0, filled)
  } finally {
    await handle.close()
  }
}

/** fsync of a directory: makes the renames and creations inside it durable (open, fsync, close). */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
