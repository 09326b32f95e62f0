import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import type { AnalysisOptions } from '../../../src/core/analysis-options.js'
import { checkIncoming, isFitsCandidate, looksLikeImage } from '../../../src/stages/receive/check-incoming.js'

const LIMITS: AnalysisOptions = {
  eventThreshold: 0.01,
  pixelTolerance: 0,
  maxImagePixels: 1_000_000,
  maxImageBytes: 1_000_000,
  analysisDir: null,
  decodeCacheBytes: 0,
}

const pixels = { create: { width: 8, height: 8, channels: 3, background: '#808080' } } as const

describe('looksLikeImage', () => {
  it('knows every format the receive stage decodes by its first bytes', async () => {
    for (const format of ['jpeg', 'png', 'webp', 'tiff', 'gif', 'avif'] as const) {
      const bytes = await sharp(pixels).toFormat(format).toBuffer()
      expect([format, looksLikeImage(bytes.subarray(0, 16))]).toEqual([format, true])
    }
  })

  it('takes FITS, BigTIFF and other ISO-BMFF brands as candidates, and text, PDF or nothing as no image', () => {
    expect(looksLikeImage(Buffer.from('SIMPLE  =                    T'))).toBe(true)
    expect(isFitsCandidate(Buffer.from('SIMPLE  =                    T'))).toBe(true)
    expect(looksLikeImage(Buffer.from('II+\x00\x08\x00\x00\x00', 'latin1'))).toBe(true)
    expect(looksLikeImage(Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic')]))).toBe(true)
    expect(looksLikeImage(Buffer.from('observing log: clear skies\n'))).toBe(false)
    expect(looksLikeImage(Buffer.from('%PDF-1.7\n'))).toBe(false)
    expect(looksLikeImage(Buffer.from('SIMPLE'))).toBe(false)
    expect(looksLikeImage(Buffer.alloc(0))).toBe(false)
  })
})

describe('checkIncoming', () => {
  it('records a FITS file that is only a primary header as failed with the reader\'s reason, not "not an image"', async () => {
    const bytes = Buffer.from(
      ['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0', 'END']
        .map((record) => record.padEnd(80))
        .join('')
        .padEnd(2880, ' '),
    )
    const checked = await checkIncoming({ stream: 's', filename: 'm31.fits', bytes, byteSize: bytes.length }, LIMITS)
    expect(checked).toMatchObject({
      status: 'failed',
      extension: 'fits',
      errorCode: 'IMGPIPE_IMAGE_INVALID',
      errorMessage: expect.stringMatching(/^FITS_NO_IMAGE: /),
      observation: null,
    })
  })
})
