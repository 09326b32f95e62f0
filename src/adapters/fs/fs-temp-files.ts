import type { Dirent } from 'node:fs'
import { lstat, readdir, unlink } from 'node:fs/promises'
import path from 'node:path'

/**
 * Temporary files of puts that never reached their rename (the process was killed in between). They are
 * invisible to `list` and would stay for ever: swept at start-up when old enough that no live put can
 * still own them, and by `store empty` under its prefix.
 */

/** A put writes, syncs and renames within seconds; an hour-old temporary file has no living owner. */
export const STALE_TEMP_FILE_MS = 60 * 60 * 1000

/**
 * Deletes the temporary files (names starting with `tempPrefix`) in the directories under `root` whose
 * key (`image/cam/`) starts with `keyPrefix` (a temporary file cannot tell which key it was for), last modified at least `olderThanMs` ago; returns how many. Symbolic links are
 * not followed; a directory that vanishes meanwhile is skipped.
 */
export async function sweepTempFiles(root: string, tempPrefix: string, keyPrefix: string, olderThanMs: number): Promise<number> {
  // Walk from the deepest directory the prefix names: `image/cam/` → root/image/cam.
  const slash = keyPrefix.lastIndexOf('/')
  const startKey = slash < 0 ? '' : keyPrefix.slice(0, slash + 1)
  const cutoff = Date.now() - olderThanMs
  let removed = 0
  const walk = async (dir: string, dirKey: string): Promise<void> => {
    let entries: Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        const childKey = `${dirKey}${entry.name}/`
        if (childKey.startsWith(keyPrefix) || keyPrefix.startsWith(childKey)) await walk(full, childKey)
      } else if (entry.isFile() && entry.name.startsWith(tempPrefix) && dirKey.startsWith(keyPrefix)) {
        const info = await lstat(full).catch(() => null)
        if (info === null || info.mtimeMs > cutoff) continue
        await unlink(full).then(
          () => (removed += 1),
          () => undefined,
        )
      }
    }
  }
  await walk(path.join(root, startKey), startKey)
  return removed
}
