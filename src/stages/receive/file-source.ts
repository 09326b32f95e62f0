import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, readdir, stat } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import path from 'node:path'
import { ImageTooLargeError, InvalidImageError, UsageError } from '../../core/errors.js'
import type { ImageSource } from './image-source.js'

export interface FileSourceOptions {
  /** The files, as `listImageFiles` lists them. */
  files: readonly string[]
  stream: string
  maxImageBytes: number
}

/** Lists the files to ingest, in a stable order: arguments in order, directory entries sorted by name. */
export async function listImageFiles(paths: readonly string[], recursive: boolean): Promise<string[]> {
  const files: string[] = []
  for (const entry of paths) {
    const info = await stat(entry).catch((error: unknown) => {
      throw new UsageError(`cannot read ${entry}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error })
    })
    if (info.isFile()) files.push(entry)
    else if (info.isDirectory()) files.push(...(await listDirectory(entry, recursive)))
  }
  return files
}

async function listDirectory(dir: string, recursive: boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const files: string[] = []
  for (const entry of entries) {
    // Hidden files (.DS_Store, editor swap files) are not images anyone meant to ingest.
    if (entry.name.startsWith('.')) continue
    const full = path.join(dir, entry.name)
    if (entry.isFile()) files.push(full)
    else if (entry.isDirectory() && recursive) files.push(...(await listDirectory(full, recursive)))
  }
  return files
}

/**
 * Real files as an image stream. A file larger than the limit is not read at all (it is recorded as
 * failed with its size); unreadable files are recorded as failed too, so an operator sees every file.
 */
export async function* fileSource(options: FileSourceOptions): ImageSource {
  for (const file of options.files) {
    const filename = path.basename(file)
    let handle
    try {
      handle = await open(file, 'r')
      const { size } = await handle.stat()
      if (size > options.maxImageBytes) {
        yield {
          stream: options.stream,
          filename,
          bytes: null,
          byteSize: size,
          // Hashed as a stream, never held whole, so that ingesting the same file again is recognised.
          contentSha256: await hashFile(file),
          readError: new ImageTooLargeError(
            `${filename}: ${size} bytes is over the limit of ${options.maxImageBytes} (IMGPIPE_MAX_IMAGE_BYTES)`,
          ),
        }
        continue
      }
      const bytes = await handle.readFile()
      yield { stream: options.stream, filename, bytes, byteSize: bytes.length }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error'
      yield {
        stream: options.stream,
        filename,
        bytes: null,
        byteSize: 0,
        readError: new InvalidImageError(`${filename}: cannot read the file (${code})`, { cause: error }),
      }
    } finally {
      await handle?.close()
    }
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}
