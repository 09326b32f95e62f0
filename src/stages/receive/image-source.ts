import type { ImgpipeError } from '../../core/errors.js'

/**
 * One image offered to the receive stage. Sources (the mock stream, files) only read bytes; validation,
 * numbering and storage are the stage's job so that every source gets the same guarantees.
 */
export interface IncomingImage {
  stream: string
  /** Fixed by the source (the mock stream numbers its images); otherwise the next number of the stream. */
  imageNum?: number
  /** Original file name, kept in `image_metadata.image_filename`. */
  filename: string
  /** The bytes, or null when the source could not (or would not) read them: see `readError`. */
  bytes: Buffer | null
  /** Size on disk, known even when the bytes were not read. */
  byteSize: number
  /** SHA-256 of the bytes when the source hashed them itself (a file too large to read whole). */
  contentSha256?: string
  /** Set by a source that already knows the image is valid (it produced it), to skip re-validation. */
  known?: { format: string; width: number; height: number }
  /** Why the bytes could not be read (too large, unreadable file); recorded as a failed image. */
  readError?: ImgpipeError
}

export type ImageSource = AsyncIterable<IncomingImage>
