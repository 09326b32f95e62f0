import { existsSync, readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { walkHdus } from '../../../src/analysis/fits/fits-hdus.js'
import { readFits } from '../../../src/analysis/fits/fits-reader.js'
import { writeFits } from '../../../src/analysis/fits/fits-writer.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame, type MockSkyOptions } from '../../../src/analysis/sky/mock-sky.js'
import type { AnalysisOptions } from '../../../src/core/analysis-options.js'
import { checkFits, looksLikeFitsFile } from '../../../src/stages/receive/check-fits.js'
import { checkIncoming, IMAGE_SIGNATURE_BYTES, looksLikeImage, type CheckedFields } from '../../../src/stages/receive/check-incoming.js'
import { concat, headerBytes } from '../../analysis/fits/fits-bytes.js'

const LIMITS: AnalysisOptions = {
  eventThreshold: 0.01,
  pixelTolerance: 48,
  maxImagePixels: 1_000_000,
  maxImageBytes: 100_000_000,
  analysisDir: null,
  decodeCacheBytes: 0,
}

const SKY: MockSkyOptions = { ...DEFAULT_MOCK_SKY, width: 200, height: 150, stars: 40, frames: 4 }
const COMP = '/usr/lib/python3/dist-packages/astropy/io/fits/tests/data/comp.fits'

function check(bytes: Uint8Array, limits: Partial<AnalysisOptions> = {}, filename = 'frame.fits'): Promise<CheckedFields> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  return checkIncoming({ stream: 's', filename, bytes: buffer, byteSize: buffer.length }, { ...LIMITS, ...limits })
}

/** Peak RSS growth in MB while `action` runs (maxRSS: a large allocation shows even if it is freed at once). */
async function peakGrowthMb(action: () => Promise<unknown>): Promise<number> {
  const before = process.resourceUsage().maxRSS
  await action()
  return (process.resourceUsage().maxRSS - before) / 1024
}

function image(records: string[]): Uint8Array {
  return headerBytes(['SIMPLE  =                    T', ...records])
}

/** A failed check: its code, and a message of one line that starts with the FITS reason. */
function expectFailed(checked: CheckedFields, code: string, reason: string): void {
  expect(checked).toMatchObject({ status: 'failed', format: null, width: null, height: null, errorCode: code, observation: null })
  expect(checked.errorMessage).toMatch(new RegExp(`^${reason}: [^\\n]+$`))
}

describe('the receive check of hostile FITS files', () => {
  // First in the file, before anything else raises the worker's peak RSS above what these would reach.
  it('refuses a header claiming 10^12 pixels from the header alone, fast and without allocating', async () => {
    const huge = image([
      'BITPIX  =                  -32',
      'NAXIS   =                    2',
      'NAXIS1  =              1000000',
      'NAXIS2  =              1000000',
    ])
    let checked: CheckedFields | undefined
    const started = performance.now()
    const growth = await peakGrowthMb(async () => (checked = await check(huge, { maxImagePixels: 50_000_000 })))
    expect(performance.now() - started).toBeLessThan(1000)
    expect(growth).toBeLessThan(20)
    expectFailed(checked!, 'IMGPIPE_IMAGE_TOO_LARGE', 'FITS_TOO_LARGE')
  })

  it('stops a gzip bomb of a FITS header and 1 GB of zeros where its header says the file ends', async () => {
    const header = image([
      'BITPIX  =                  -32',
      'NAXIS   =                    2',
      'NAXIS1  =                 1000',
      'NAXIS2  =                 1000',
    ])
    const zeros = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 })
    const bomb = concat(gzipSync(header), ...Array.from({ length: 64 }, () => zeros))
    expect(bomb.length).toBeLessThan(2_000_000)
    let checked: CheckedFields | undefined
    // At the default 50 M pixels the reader's own limit would let it inflate ~410 MB first.
    const growth = await peakGrowthMb(async () => (checked = await check(bomb, { maxImagePixels: 50_000_000 }, 'bomb.fits.gz')))
    expectFailed(checked!, 'IMGPIPE_IMAGE_TOO_LARGE', 'FITS_GZIP_LIMIT')
    expect(checked!.errorMessage).toContain('beyond the 4003200 bytes its FITS headers declare')
    expect(growth).toBeLessThan(60)
  })

  it('refuses gzip that is not FITS from its first KB, without inflating the rest', async () => {
    const zeros = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 })
    const bomb = concat(...Array.from({ length: 64 }, () => zeros))
    let checked: CheckedFields | undefined
    const growth = await peakGrowthMb(async () => (checked = await check(bomb, { maxImagePixels: 50_000_000 }, 'log.gz')))
    expectFailed(checked!, 'IMGPIPE_IMAGE_INVALID', 'FITS_NOT_FITS')
    expect(growth).toBeLessThan(20)
  })

  it('refuses a header without END', async () => {
    const noEnd = headerBytes(['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0'], false)
    expectFailed(await check(noEnd), 'IMGPIPE_IMAGE_INVALID', 'FITS_NO_END')
  })

  it('refuses a negative NAXISn', async () => {
    const negative = image([
      'BITPIX  =                   16',
      'NAXIS   =                    2',
      'NAXIS1  =                   -5',
      'NAXIS2  =                   10',
    ])
    expectFailed(await check(negative), 'IMGPIPE_IMAGE_INVALID', 'FITS_BAD_AXIS')
  })

  it('refuses a data unit shorter than the header says', async () => {
    const header = image([
      'BITPIX  =                  -32',
      'NAXIS   =                    2',
      'NAXIS1  =                  100',
      'NAXIS2  =                  100',
    ])
    expectFailed(await check(concat(header, new Uint8Array(1000))), 'IMGPIPE_IMAGE_INVALID', 'FITS_TRUNCATED')
  })

  it('refuses thousands of header blocks at the block limit', async () => {
    const records = ['SIMPLE  =                    T', ...Array.from({ length: 3000 * 36 }, () => 'COMMENT padding')]
    expectFailed(await check(headerBytes(records)), 'IMGPIPE_IMAGE_TOO_LARGE', 'FITS_TOO_MANY_BLOCKS')
  })

  it.skipIf(!existsSync(COMP))('refuses a tile table pointing outside the file', async () => {
    const bytes = new Uint8Array(readFileSync(COMP))
    const table = walkHdus(bytes)[1]!
    // Row 10's descriptor (count, offset as big-endian 32-bit integers) sent 2 GB beyond the heap.
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(table.dataOffset + 10 * 8 + 4, 0x7fff0000)
    expectFailed(await check(bytes), 'IMGPIPE_IMAGE_INVALID', 'FITS_BAD_TILE')
  })
})

describe('the receive check of good FITS files', () => {
  const frame = renderMockSkyFrame(SKY, 0, 2)
  const bytes = writeFits(frame.image, frame.cards)

  it('records a mock-sky frame as fits with its size and what its header says', async () => {
    const checked = await check(bytes)
    expect(checked).toMatchObject({ status: 'received', format: 'fits', width: 200, height: 150, extension: 'fits', error: null })
    const observation = checked.observation!
    expect(observation).toMatchObject({ hdu: 0, filter: 'r', field: 'field-a', exposureS: 30 })
    expect(observation.obsMjd).toBeCloseTo(frame.mjd, 9)
    expect(observation.obsTime).toBe(new Date(Math.round((frame.mjd - 40_587) * 86_400_000)).toISOString())
    // The frame's centre, within its pointing jitter (4″ σ) of the field's.
    expect(Math.abs(observation.centerRa! - 150.1) * 3600).toBeLessThan(30)
    expect(Math.abs(observation.centerDec! - 2.2) * 3600).toBeLessThan(30)
    expect(observation.pixelScaleArcsec).toBeCloseTo(1, 2)
    expect(observation.footprint).toHaveLength(4)
    const records = observation.header.split('\n')
    expect(records.every((record) => record.length === 80)).toBe(true)
    expect(records[0]).toMatch(/^SIMPLE {2}= +T/)
    expect(records.some((record) => record.startsWith("FILTER  = 'r       '"))).toBe(true)
    expect(records.some((record) => record.startsWith('END'))).toBe(false)
  })

  it('records a gzipped frame as the same image, stored as fits.gz', async () => {
    const plain = await check(bytes)
    const gzipped = await check(gzipSync(bytes), {}, 'frame.fits.gz')
    expect(gzipped).toMatchObject({ status: 'received', format: 'fits', width: 200, height: 150, extension: 'fits.gz' })
    expect(gzipped.observation).toEqual(plain.observation)
  })

  it.skipIf(!existsSync(COMP))('reads a tile-compressed image (astropy comp.fits) from its table HDU', async () => {
    const checked = await check(readFileSync(COMP))
    expect(checked).toMatchObject({ status: 'received', format: 'fits', width: 440, height: 300, extension: 'fits' })
    expect(checked.observation?.hdu).toBe(1)
    // The image's header, not the binary table's.
    expect(checked.observation?.header).toMatch(/^XTENSION= 'IMAGE {3}'/)
    expect(checked.observation?.header).not.toContain('ZIMAGE')
  })

  it('reads the HDU IMGPIPE_FITS_HDU names, by EXTNAME or index, and fails one that is not there', async () => {
    const primary = image(['BITPIX  =                    8', 'NAXIS   =                    0', 'EXTEND  =                    T'])
    const extension = (name: string, width: number, height: number): Uint8Array => {
      const header = headerBytes([
        "XTENSION= 'IMAGE   '",
        'BITPIX  =                  -32',
        'NAXIS   =                    2',
        `NAXIS1  = ${String(width).padStart(20)}`,
        `NAXIS2  = ${String(height).padStart(20)}`,
        'PCOUNT  =                    0',
        'GCOUNT  =                    1',
        `EXTNAME = '${name.padEnd(8)}'`,
      ])
      return concat(header, new Uint8Array(Math.ceil((width * height * 4) / 2880) * 2880))
    }
    const file = concat(primary, extension('SCI', 30, 20), extension('ERR', 7, 5))
    expect(await check(file)).toMatchObject({ status: 'received', width: 30, height: 20, observation: { hdu: 1 } })
    expect(await check(file, { fitsHdu: 'err' })).toMatchObject({ status: 'received', width: 7, height: 5, observation: { hdu: 2 } })
    expect(await check(file, { fitsHdu: 1 })).toMatchObject({ status: 'received', width: 30, height: 20, observation: { hdu: 1 } })
    expectFailed(await check(file, { fitsHdu: 'DQ' }), 'IMGPIPE_IMAGE_INVALID', 'FITS_NO_IMAGE')
    expectFailed(await check(file, { fitsHdu: 0 }), 'IMGPIPE_IMAGE_INVALID', 'FITS_NO_IMAGE')
  })

  it('hands the float pixels it read to an analyze stage of the same process, with the HDU they came from', async () => {
    const offered: { bytes: Uint8Array; pixels: Float32Array; hdu: number | undefined }[] = []
    const handOver = {
      offer: (from: Uint8Array, pixels: { data: Float32Array | Uint8Array }, hdu?: number) =>
        offered.push({ bytes: from, pixels: pixels.data as Float32Array, hdu }),
    }
    expect((await checkFits(bytes, { maxPixels: 1_000_000 }, handOver)).ok).toBe(true)
    expect(offered).toHaveLength(1)
    expect(offered[0]!.bytes).toBe(bytes)
    expect(offered[0]!.hdu).toBe(0)
    expect(offered[0]!.pixels).toEqual(frame.image.data)
    // The bytes are stored after the check, so the pixels must not have been decoded in their place: they read again.
    expect(readFits(bytes, { maxPixels: 1_000_000 }).image.data).toEqual(frame.image.data)
  })

  it('inflates a gzipped multi-extension file to its last HDU, tolerates trailing bytes, and names corrupt gzip', async () => {
    const extension = (name: string, side: number): Uint8Array =>
      concat(
        headerBytes([
          "XTENSION= 'IMAGE   '",
          'BITPIX  =                  -32',
          'NAXIS   =                    2',
          `NAXIS1  = ${String(side).padStart(20)}`,
          `NAXIS2  = ${String(side).padStart(20)}`,
          'PCOUNT  =                    0',
          'GCOUNT  =                    1',
          `EXTNAME = '${name.padEnd(8)}'`,
        ]),
        new Uint8Array(Math.ceil((side * side * 4) / 2880) * 2880),
      )
    // 1 MB of SCI pixels first: the ERR extension arrives in later chunks than the first HDUs' end.
    const file = concat(
      image(['BITPIX  =                    8', 'NAXIS   =                    0', 'EXTEND  =                    T']),
      extension('SCI', 512),
      extension('ERR', 9),
    )
    expect(await check(gzipSync(file), { fitsHdu: 'ERR' }, 'mef.fits.gz')).toMatchObject({
      status: 'received',
      width: 9,
      height: 9,
      extension: 'fits.gz',
      observation: { hdu: 2 },
    })
    const trailing = concat(file, new Uint8Array(100_000).fill(0x20))
    expect(await check(gzipSync(trailing), {}, 'mef.fits.gz')).toMatchObject({ status: 'received', width: 512, observation: { hdu: 1 } })
    const corrupt = gzipSync(file)
    corrupt.fill(0x55, 200, 400)
    expectFailed(await check(corrupt, {}, 'bad.fits.gz'), 'IMGPIPE_IMAGE_INVALID', 'FITS_GZIP_CORRUPT')
  })

  it('gives a file without a WCS no sky position rather than a wrong one', async () => {
    const plain = writeFits({ width: 4, height: 3, data: new Float32Array(12) }, [{ keyword: 'FILTER', value: 'g' }])
    const checked = await checkFits(plain, { maxPixels: 100 })
    expect(checked).toMatchObject({ ok: true, width: 4, height: 3, observation: { filter: 'g', centerRa: null, footprint: null } })
  })
})

describe('looksLikeImage on FITS', () => {
  const fits = writeFits(renderMockSkyFrame(SKY, 0, 1).image, renderMockSkyFrame(SKY, 0, 1).cards)

  it('takes plain FITS and gzip whose inflated bytes are FITS, from the bytes a listing reads', () => {
    expect(looksLikeImage(fits.subarray(0, IMAGE_SIGNATURE_BYTES))).toBe(true)
    expect(looksLikeImage(gzipSync(fits).subarray(0, IMAGE_SIGNATURE_BYTES))).toBe(true)
    expect(looksLikeImage(gzipSync(Buffer.from('observing log: clear skies\n'.repeat(200))).subarray(0, IMAGE_SIGNATURE_BYTES))).toBe(false)
    expect(looksLikeImage(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff]))).toBe(false)
  })

  it('decides on a gzip bomb after inflating a few KB of it', () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 })
    const started = performance.now()
    expect(looksLikeFitsFile(bomb)).toBe(false)
    expect(performance.now() - started).toBeLessThan(200)
  })
})
