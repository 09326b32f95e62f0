/**
 * Inflating a gzip-compressed FITS file for the receive check, stopped by what its headers declare.
 *
 * The reader's own gunzip (analysis/fits/fits-reader.ts) stops at a limit set by IMGPIPE_MAX_IMAGE_PIXELS alone:
 * ~410 MB at the default 50 M pixels, however small the image the header announces. A 1 MB gzip bomb behind a
 * 1000×1000 header then costs 410 MB before it fails, and the receive stage checks two files at once. Here the
 * inflated bytes are walked as they come: once the HDUs the headers announce are complete and no extension follows,
 * output beyond them (plus a little slack for trailing bytes, which readers ignore) fails the file at once.
 */
import { createGunzip } from 'node:zlib'
import { walkHdus } from '../../analysis/fits/fits-hdus.js'
import { FITS_BLOCK } from '../../analysis/fits/fits-header.js'
import { gzipLimit } from '../../analysis/fits/fits-reader.js'
import { FitsError } from '../../core/errors.js'

/** Bytes tolerated after the last HDU a file's headers announce (trailing padding or junk, which readers ignore). */
const TRAILING_SLACK = 1024 * 1024

/** Where the HDUs end, or null while the inflated bytes so far cannot tell (a header or data unit still incomplete). */
function declaredEnd(bytes: Uint8Array): number | null {
  let hdus
  try {
    hdus = walkHdus(bytes)
  } catch (error) {
    // A header cut off where the inflated bytes end so far: more is needed. Anything else is the reader's to report.
    if (error instanceof FitsError && error.reason === 'FITS_NO_END') return null
    throw error
  }
  const last = hdus[hdus.length - 1]!
  if (last.truncated) return null
  const end = last.dataOffset + Math.ceil(last.dataSize / FITS_BLOCK) * FITS_BLOCK
  // Fewer than a block after the last HDU: another extension's header may still be on its way.
  if (bytes.length < end + FITS_BLOCK) return null
  return end
}

/**
 * The inflated bytes of a gzip-compressed FITS file; throws a FitsError when the gzip data is corrupt, inflates beyond
 * the reader's limit for `maxPixels`, or goes on past the HDUs its headers declare (a bomb), and the walk's own
 * FitsError when the inflated headers are malformed.
 */
export function inflateFits(input: Uint8Array, maxPixels: number): Promise<Buffer> {
  const limit = gzipLimit(maxPixels)
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 })
    let chunks: Buffer[] = []
    let length = 0
    let nextWalk = FITS_BLOCK
    let end: number | null = null
    let settled = false
    const fail = (error: unknown): void => {
      if (settled) return
      settled = true
      gunzip.destroy()
      reject(error)
    }
    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return
      chunks.push(chunk)
      length += chunk.length
      if (length > limit) return fail(new FitsError('FITS_GZIP_LIMIT', `gzip data inflates beyond ${limit} bytes`))
      if (end === null && length >= nextWalk) {
        // Walked at doubling sizes: the copies add up to twice the output, not its square.
        const joined = Buffer.concat(chunks, length)
        chunks = [joined]
        nextWalk = length * 2
        try {
          end = declaredEnd(joined)
        } catch (error) {
          return fail(error)
        }
      }
      if (end !== null && length > end + TRAILING_SLACK) {
        fail(new FitsError('FITS_GZIP_LIMIT', `gzip data inflates beyond the ${end} bytes its FITS headers declare`))
      }
    })
    gunzip.on('error', (error: Error) =>
      fail(new FitsError('FITS_GZIP_CORRUPT', `gzip data is corrupt: ${error.message}`, { cause: error })),
    )
    gunzip.on('end', () => {
      if (settled) return
      settled = true
      resolve(Buffer.concat(chunks, length))
    })
    gunzip.end(input)
  })
}
