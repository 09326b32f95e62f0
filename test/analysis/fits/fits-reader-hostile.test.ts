import { existsSync, readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { walkHdus } from '../../../src/analysis/fits/fits-hdus.js'
import { readFits } from '../../../src/analysis/fits/fits-reader.js'
import { FitsError, isImgpipeError } from '../../../src/core/errors.js'
import { concat, headerBytes, reasonOf } from './fits-bytes.js'

const MAX_PIXELS = 1_000_000

/** Peak RSS growth in MB while `action` runs: a large allocation anywhere shows, garbage collection or not. */
function peakGrowthMb(action: () => void): number {
  const before = process.resourceUsage().maxRSS
  action()
  return (process.resourceUsage().maxRSS - before) / 1024
}

function image(records: string[]): Uint8Array {
  return headerBytes(['SIMPLE  =                    T', ...records])
}

describe('readFits on hostile files', () => {
  // First in the file, so that the worker's peak RSS is not yet above what a bomb would reach.
  it('stops a gzip bomb (1 GB of zeros) at its output limit, with bounded memory', () => {
    const header = image([
      'BITPIX  =                  -32',
      'NAXIS   =                    2',
      'NAXIS1  =                16384',
      'NAXIS2  =                16384',
    ])
    // Concatenated gzip members inflate as one stream: 64 members of 16 MB of zeros each.
    const zeros = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 })
    const bomb = concat(gzipSync(header), ...Array.from({ length: 64 }, () => zeros))
    expect(bomb.length).toBeLessThan(2_000_000)
    let reason: string | undefined
    const growth = peakGrowthMb(() => (reason = reasonOf(() => readFits(bomb, { maxPixels: MAX_PIXELS }))))
    expect(reason).toBe('FITS_GZIP_LIMIT')
    expect(growth).toBeLessThan(150)
  })

  it('refuses a header without END, and a file shorter than one block', () => {
    const noEnd = headerBytes(['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0'], false)
    expect(reasonOf(() => readFits(noEnd, { maxPixels: MAX_PIXELS }))).toBe('FITS_NO_END')
    expect(reasonOf(() => readFits(noEnd.subarray(0, 500), { maxPixels: MAX_PIXELS }))).toBe('FITS_NO_END')
  })

  it('refuses a negative or non-integer NAXISn, and a BITPIX that is not one of the six', () => {
    const negative = image([
      'BITPIX  =                   16',
      'NAXIS   =                    2',
      'NAXIS1  =                   -5',
      'NAXIS2  =                   10',
    ])
    expect(reasonOf(() => readFits(negative, { maxPixels: MAX_PIXELS }))).toBe('FITS_BAD_AXIS')
    const real = image(['BITPIX  =                   16', 'NAXIS   =                    1', 'NAXIS1  =                 10.5'])
    expect(reasonOf(() => readFits(real, { maxPixels: MAX_PIXELS }))).toBe('FITS_BAD_AXIS')
    const missing = image(['BITPIX  =                   16', 'NAXIS   =                    2', 'NAXIS1  =                   10'])
    expect(reasonOf(() => readFits(missing, { maxPixels: MAX_PIXELS }))).toBe('FITS_BAD_HEADER')
    const bitpix = image(['BITPIX  =                   12', 'NAXIS   =                    0'])
    expect(reasonOf(() => readFits(bitpix, { maxPixels: MAX_PIXELS }))).toBe('FITS_BAD_HEADER')
  })

  it('refuses NAXIS1 × NAXIS2 beyond maxPixels from the header alone, without allocating', () => {
    const huge = image([
      'BITPIX  =                  -64',
      'NAXIS   =                    2',
      'NAXIS1  =               200000',
      'NAXIS2  =               200000',
    ])
    let error: unknown
    const growth = peakGrowthMb(() => {
      try {
        readFits(huge, { maxPixels: MAX_PIXELS })
      } catch (caught) {
        error = caught
      }
    })
    expect(error).toBeInstanceOf(FitsError)
    expect((error as FitsError).reason).toBe('FITS_TOO_LARGE')
    expect(isImgpipeError(error, 'IMGPIPE_IMAGE_TOO_LARGE')).toBe(true)
    expect((error as Error).message).not.toContain('\n')
    expect(growth).toBeLessThan(20)
    const beyondBigint = image(['BITPIX  =                    8', 'NAXIS   =                    1', 'NAXIS1  = 99999999999999999999'])
    expect(reasonOf(() => readFits(beyondBigint, { maxPixels: MAX_PIXELS }))).toBe('FITS_TOO_LARGE')
  })

  it('refuses a data unit shorter than the header says', () => {
    const header = image([
      'BITPIX  =                  -32',
      'NAXIS   =                    2',
      'NAXIS1  =                  100',
      'NAXIS2  =                  100',
    ])
    const short = concat(header, new Uint8Array(1000))
    expect(reasonOf(() => readFits(short, { maxPixels: MAX_PIXELS }))).toBe('FITS_TRUNCATED')
    // A malformed file is IMGPIPE_IMAGE_INVALID (a size limit is IMGPIPE_IMAGE_TOO_LARGE), never retried.
    expect(() => readFits(short, { maxPixels: MAX_PIXELS })).toThrow(
      expect.objectContaining({
        code: 'IMGPIPE_IMAGE_INVALID',
        canRetry: false,
        message: expect.stringMatching(/^FITS_TRUNCATED: [^\n]+$/),
      }),
    )
    expect(reasonOf(() => readFits(concat(header, new Uint8Array(40_000)), { maxPixels: MAX_PIXELS }))).toBeUndefined()
  })

  it('refuses 5000 header blocks at the block limit', () => {
    const records = ['SIMPLE  =                    T', ...Array.from({ length: 5000 * 36 }, () => 'COMMENT padding')]
    expect(reasonOf(() => readFits(headerBytes(records), { maxPixels: MAX_PIXELS }))).toBe('FITS_TOO_MANY_BLOCKS')
  })

  it('refuses bytes that are not FITS, and a file with no image HDU', () => {
    expect(reasonOf(() => readFits(new Uint8Array(Buffer.from('\x89PNG\r\n\x1a\n' + ' '.repeat(3000))), { maxPixels: MAX_PIXELS }))).toBe(
      'FITS_NOT_FITS',
    )
    expect(reasonOf(() => readFits(gzipSync(Buffer.from('not fits at all'.repeat(300))), { maxPixels: MAX_PIXELS }))).toBe('FITS_NOT_FITS')
    expect(reasonOf(() => readFits(new Uint8Array([0x1f, 0x8b, 1, 2, 3, 4]), { maxPixels: MAX_PIXELS }))).toBe('FITS_GZIP_CORRUPT')
    const empty = image(['BITPIX  =                    8', 'NAXIS   =                    0'])
    expect(reasonOf(() => readFits(empty, { maxPixels: MAX_PIXELS }))).toBe('FITS_NO_IMAGE')
    expect(reasonOf(() => readFits(empty, { hdu: 'SCI', maxPixels: MAX_PIXELS }))).toBe('FITS_NO_IMAGE')
  })

  const comp = '/usr/lib/python3/dist-packages/astropy/io/fits/tests/data/comp.fits'
  it.skipIf(!existsSync(comp))('refuses a tile table whose descriptor points outside the heap', () => {
    const bytes = new Uint8Array(readFileSync(comp))
    expect(reasonOf(() => readFits(bytes, { maxPixels: MAX_PIXELS }))).toBeUndefined()
    const table = walkHdus(bytes)[1]!
    // Row 10's 1PB descriptor: (count, offset) as big-endian 32-bit integers at the start of the row.
    const view = new DataView(bytes.buffer, bytes.byteOffset)
    view.setUint32(table.dataOffset + 10 * 8 + 4, 0x7fff0000)
    expect(reasonOf(() => readFits(bytes, { maxPixels: MAX_PIXELS }))).toBe('FITS_BAD_TILE')
    view.setUint32(table.dataOffset + 10 * 8 + 4, 0)
    view.setUint32(table.dataOffset + 10 * 8, 0x7fffffff)
    expect(reasonOf(() => readFits(bytes, { maxPixels: MAX_PIXELS }))).toBe('FITS_BAD_TILE')
  })

  it.skipIf(!existsSync(comp))('refuses a compressed image larger than maxPixels before decoding a tile', () => {
    expect(reasonOf(() => readFits(new Uint8Array(readFileSync(comp)), { maxPixels: 1000 }))).toBe('FITS_TOO_LARGE')
  })
})
