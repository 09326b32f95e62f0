import { createHash } from 'node:crypto'
import { inspectImage } from '../../analysis/decode-image.js'
import type { AnalysisOptions } from '../../core/analysis-options.js'
import { describeError, toImgpipeError, type ImgpipeError } from '../../core/errors.js'
import { extensionForFormat } from '../../core/object-keys.js'
import type { NewImage } from '../../core/types.js'
import type { IncomingImage } from './image-source.js'

/** What validation learnt about an image: the row's fields that depend on its bytes. */
export type CheckedFields = Pick<NewImage, 'width' | 'height' | 'format' | 'errorCode' | 'errorMessage'> & {
  /** The status the image gets once its bytes are stored. */
  status: 'received' | 'failed'
  extension: string
  error: ImgpipeError | null
}

/**
 * Reads what the row needs from the bytes; a bad image is not an error of the stage but a failed row. Only a
 * transient failure (canRetry) is thrown.
 */
export async function checkIncoming(incoming: IncomingImage, limits: AnalysisOptions): Promise<CheckedFields> {
  const result = await inspect(incoming, limits)
  if (result.ok) {
    return {
      status: 'received',
      width: result.width,
      height: result.height,
      format: result.format,
      extension: extensionForFormat(result.format),
      errorCode: null,
      errorMessage: null,
      error: null,
    }
  }
  return {
    status: 'failed',
    width: null,
    height: null,
    format: null,
    extension: extensionOf(incoming.filename),
    errorCode: result.error.code,
    errorMessage: describeError(result.error).slice(0, 1000),
    error: result.error,
  }
}

async function inspect(
  incoming: IncomingImage,
  limits: AnalysisOptions,
): Promise<{ ok: true; format: string; width: number; height: number } | { ok: false; error: ImgpipeError }> {
  if (incoming.readError !== undefined) return { ok: false, error: incoming.readError }
  if (incoming.known !== undefined) return { ok: true, ...incoming.known }
  if (incoming.bytes === null) return { ok: false, error: toImgpipeError(new Error('no bytes')) }
  try {
    return { ok: true, ...(await inspectImage(incoming.bytes, limits)) }
  } catch (error) {
    const failure = toImgpipeError(error)
    if (failure.canRetry) throw failure
    return { ok: false, error: failure }
  }
}

/** For files that are not images, keep their own extension (sanitised) so the stored object is recognisable. */
function extensionOf(filename: string): string {
  const match = /\.([A-Za-z0-9]{1,8})$/.exec(filename)
  return match === null ? 'bin' : match[1]!.toLowerCase()
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
