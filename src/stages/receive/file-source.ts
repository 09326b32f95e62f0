import { constants } from 'node:fs'
import { open, readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { ImageTooLargeError, InvalidImageError, UsageError } from '../../core/errors.js'
import { IMAGE_SIGNATURE_BYTES, looksLikeImage } from './check-incoming.js'
import type { ImageSource, IncomingImage } from './image-source.js'

export interface FileSourceOptions {
  /** The files, as `listImageFiles` lists them. */
  files: readonly string[]
  stream: string
  maxImageBytes: number
}

/** A directory entry that was not ingested, and why; an operator sees every one. */
export interface SkippedEntry {
  path: string
  /**
   * `hidden` entries and files that are `not an image` by content are skipped by design; the others mean
   * something could not be ingested.
   */
  reason: 'hidden' | 'not an image' | 'not a regular file' | 'unreadable' | 'broken symlink' | 'symlink loop'
  detail?: string
}

/** The reasons that are a choice, not a failure: a listing with only these skips ingests everything it should. */
export const SKIPPED_BY_DESIGN: ReadonlySet<SkippedEntry['reason']> = new Set(['hidden', 'not an image'])

export interface ListingOptions {
  /**
   * Skip files whose first bytes are no image's ({@link looksLikeImage}): reported as `not an image` instead of
   * listed. Off (the default), every regular file is listed and a bad one is recorded as a failed image.
   */
  skipNonImages?: boolean
}

export interface FileListing {
  files: string[]
  skipped: SkippedEntry[]
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error)
}

function kindOf(info: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isFIFO()) return 'a FIFO'
  if (info.isSocket()) return 'a socket'
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

/**
 * Lists the files to ingest, in a stable order: arguments in order, directory entries sorted by name.
 * Symlinks are followed to what they point at (a directory reached twice, by a loop or two links, is
 * listed once). An argument that is neither a regular file nor a directory is a usage error; inside a
 * directory, what cannot be ingested (hidden files, FIFOs, devices, broken links, unreadable
 * sub-directories) is reported in `skipped` and the listing goes on. With `skipNonImages`, files (arguments
 * too: a shell glob names a README as readily as a folder holds one) whose content is not an image are
 * reported in `skipped` as well.
 */
export async function listImageFiles(paths: readonly string[], recursive: boolean, options: ListingOptions = {}): Promise<FileListing> {
  const listing: FileListing = { files: [], skipped: [] }
  const visited = new Set<string>()
  const admit = async (file: string): Promise<void> => {
    const verdict = options.skipNonImages === true ? await sniff(file) : 'image'
    if (verdict === 'image') listing.files.push(file)
    else listing.skipped.push({ path: file, reason: 'not an image', detail: verdict })
  }
  for (const entry of paths) {
    const info = await stat(entry).catch((error: unknown) => {
      throw new UsageError(`cannot read ${entry}: ${errorCode(error)}`, { cause: error })
    })
    if (info.isFile()) await admit(entry)
    else if (info.isDirectory()) await listDirectory(entry, recursive, listing, visited, admit)
    else throw new UsageError(`cannot ingest ${entry}: ${kindOf(info)}, not a regular file or a directory`)
  }
  return listing
}

/**
 * `image` when the file's first bytes are an image's, or when they cannot be read (the source then records
 * why, as it always has); otherwise what the content is instead.
 */
async function sniff(file: string): Promise<'image' | 'empty file' | 'no image signature'> {
  let handle
  try {
    // Non-blocking: a FIFO swapped in since the listing must not hang it (the source reports it).
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
    if (!(await handle.stat()).isFile()) return 'image'
    const head = Buffer.alloc(IMAGE_SIGNATURE_BYTES)
    const { bytesRead } = await handle.read(head, 0, head.length, 0)
    if (bytesRead === 0) return 'empty file'
    return looksLikeImage(head.subarray(0, bytesRead)) ? 'image' : 'no image signature'
  } catch {
    return 'image'
  } finally {
    await handle?.close()
  }
}

async function listDirectory(
  dir: string,
  recursive: boolean,
  listing: FileListing,
  visited: Set<string>,
  admit: (file: string) => Promise<void>,
): Promise<void> {
  const real = await realpath(dir).catch(() => dir)
  if (visited.has(real)) {
    listing.skipped.push({ path: dir, reason: 'symlink loop', detail: `already listed as ${real}` })
    return
  }
  visited.add(real)
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (error) {
    listing.skipped.push({ path: dir, reason: 'unreadable', detail: errorCode(error) })
    return
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    // Hidden files (.DS_Store, editor swap files) are not images anyone meant to ingest.
    if (entry.name.startsWith('.')) {
      listing.skipped.push({ path: full, reason: 'hidden' })
      continue
    }
    let info
    try {
      info = entry.isSymbolicLink() ? await stat(full) : entry
    } catch (error) {
      const code = errorCode(error)
      listing.skipped.push({ path: full, reason: code === 'ELOOP' ? 'symlink loop' : 'broken symlink', detail: code })
      continue
    }
    if (info.isFile()) await admit(full)
    else if (info.isDirectory()) {
      if (recursive) await listDirectory(full, recursive, listing, visited, admit)
    } else listing.skipped.push({ path: full, reason: 'not a regular file', detail: kindOf(info) })
  }
}

/** Files read ahead of the receive stage at most, and the bytes they may hold (see {@link fileSource}). */
const READ_AHEAD_FILES = 16
const READ_AHEAD_BYTES = 64 * 1024 * 1024

/**
 * Real files as an image stream. A file larger than the limit is not read at all, not even hashed (it is
 * recorded as failed with its size); unreadable files, and paths that turned into something other than a
 * regular file since they were listed, are recorded as failed too, so an operator sees every file. Files
 * are opened non-blocking and checked on the open descriptor: a FIFO put in a file's place cannot hang
 * the ingest.
 *
 * Files are read ahead, in order, while the stage works on the ones before: a read is a trip through libuv's
 * thread pool, and without read-ahead each one settled after the receive window had given up waiting for it
 * (windows of one image: 292 of 300 windows in a 400-file ingest, issue 20). Up to 16 reads are in flight, and
 * fewer when files are large: as many as 64 MiB holds at the largest size seen so far (one at a time until the
 * first is read, so a folder of 4096² frames never has sixteen in memory at once).
 */
export async function* fileSource(options: FileSourceOptions): ImageSource {
  const ahead: Promise<IncomingImage>[] = []
  let next = 0
  let largest = 0
  const fill = (): void => {
    while (next < options.files.length && ahead.length < READ_AHEAD_FILES) {
      if (ahead.length > 0 && (largest === 0 || (ahead.length + 1) * largest > READ_AHEAD_BYTES)) return
      ahead.push(readFileImage(options.files[next++]!, options))
    }
  }
  fill()
  while (ahead.length > 0) {
    const image = await ahead.shift()!
    largest = Math.max(largest, image.byteSize)
    fill()
    yield image
  }
}

/** One file as an image, or as a failed one saying why (never rejects: the ingest goes on to the next file). */
async function readFileImage(file: string, options: FileSourceOptions): Promise<IncomingImage> {
  const filename = path.basename(file)
  let handle
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
    const info = await handle.stat()
    if (!info.isFile()) {
      return {
        stream: options.stream,
        filename,
        bytes: null,
        byteSize: 0,
        readError: new InvalidImageError(`${filename}: ${kindOf(info)}, not a regular file`),
      }
    }
    if (info.size > options.maxImageBytes) {
      return {
        stream: options.stream,
        filename,
        bytes: null,
        byteSize: info.size,
        readError: new ImageTooLargeError(
          `${filename}: ${info.size} bytes is over the limit of ${options.maxImageBytes} (IMGPIPE_MAX_IMAGE_BYTES)`,
        ),
      }
    }
    const bytes = await handle.readFile()
    return { stream: options.stream, filename, bytes, byteSize: bytes.length }
  } catch (error) {
    return {
      stream: options.stream,
      filename,
      bytes: null,
      byteSize: 0,
      readError: new InvalidImageError(`${filename}: cannot read the file (${errorCode(error)})`, { cause: error }),
    }
  } finally {
    await handle?.close()
  }
}
