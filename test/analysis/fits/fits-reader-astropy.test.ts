import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { readFits } from '../../../src/analysis/fits/fits-reader.js'
import { headerLookup } from '../../../src/analysis/fits/header-card.js'
import { hasPythonModule, pythonJson } from '../../support/python-oracle.js'
import { type AstropyFile, astropyPixels, astropyRead, pixelMismatches } from './astropy-oracle.js'

const ASTROPY = '/usr/lib/python3/dist-packages/astropy'
const FITS_DATA = path.join(ASTROPY, 'io/fits/tests/data')
const WCS_DATA = path.join(ASTROPY, 'wcs/tests/data')

/** Files no one here wrote: astropy's own test data, images plain, scaled, blank, multi-extension, compressed, gzipped. */
const FILES = [
  ...['arange.fits', 'blank.fits', 'checksum.fits', 'comp.fits', 'compressed_float_bzero.fits', 'compressed_image.fits'].map((f) =>
    path.join(FITS_DATA, f),
  ),
  ...['double_ext.fits', 'fixed-1890.fits', 'o4sp040b0_raw.fits', 'scale.fits', 'test0.fits', 'stddata.fits'].map((f) =>
    path.join(FITS_DATA, f),
  ),
  ...['dss.14.29.56-62.41.05.fits.gz', 'dist.fits', 'ie6d07ujq_wcs.fits', 'j94f05bgq_flt.fits', 'tab-time-last-axis.fits'].map((f) =>
    path.join(WCS_DATA, f),
  ),
]

const KIND: Record<string, string> = {
  PrimaryHDU: 'primary',
  ImageHDU: 'image',
  CompImageHDU: 'compressed-image',
  BinTableHDU: 'bintable',
  TableHDU: 'table',
  GroupsHDU: 'random-groups',
}

const haveAstropy = hasPythonModule('astropy', 'python3-astropy')

/** Compares every image HDU astropy found in each file with ours: HDU kinds, size, pixels, header values. */
function compareWithAstropy(files: readonly string[], answers: readonly AstropyFile[]): number {
  let images = 0
  for (const [n, file] of files.entries()) {
    const answer = answers[n]!
    const bytes = readFileSync(file)
    const name = path.basename(file)
    for (const image of answer.images) {
      const ours = readFits(bytes, { hdu: image.index, maxPixels: 50_000_000 })
      expect(
        ours.hdus.map((hdu) => hdu.kind),
        name,
      ).toEqual(answer.hdus.map((hdu) => KIND[hdu.kind] ?? 'other'))
      expect([ours.image.width, ours.image.height], `${name}[${image.index}] size`).toEqual([image.width, image.height])
      expect(pixelMismatches(ours.image.data, astropyPixels(image)), `${name}[${image.index}] pixels`).toEqual([])
      const lookup = headerLookup(ours.header)
      const seen = new Set<string>()
      for (const [keyword, kind, text] of image.cards) {
        // A keyword that occurs twice: the first card wins, in astropy's look-up as in ours.
        if (seen.has(keyword)) continue
        seen.add(keyword)
        const value = lookup.get(keyword)
        const where = `${name}[${image.index}] ${keyword}`
        if (kind === 'float') expect(value, where).toBe(Number(text))
        else if (kind === 'int') expect(String(value), where).toBe(text)
        else if (kind === 'bool') expect(value, where).toBe(text === 'T')
        else if (kind === 'str') expect(value, where).toBe(text)
        else if (kind === 'none') expect(value, where).toBeNull()
      }
      images++
    }
  }
  return images
}

/** Files astropy writes at test time: every BITPIX, unsigned and signed-byte types through BZERO, BLANK, NaN, a cube. */
const MAKE_TYPES = String.raw`
import json, sys
import numpy as np
from astropy.io import fits
folder = json.load(sys.stdin)
rng = np.random.default_rng(3)
shape = (13, 17)
def save(name, data, **cards):
    header = fits.Header()
    for key, value in cards.items(): header[key] = value
    fits.PrimaryHDU(data, header=header).writeto(folder + '/' + name + '.fits')
save('int8', rng.integers(-128, 128, shape).astype(np.int8))
save('uint8', rng.integers(0, 256, shape).astype(np.uint8))
i16 = rng.integers(-32768, 32768, shape).astype(np.int16); i16[0, 0] = -1
save('int16-blank', i16, BLANK=-1)
save('uint16', rng.integers(0, 65536, shape).astype(np.uint16))
save('int32', rng.integers(-2**31, 2**31, shape).astype(np.int32))
save('uint32', rng.integers(0, 2**32, shape, dtype=np.uint64).astype(np.uint32))
i64 = rng.integers(-2**62, 2**62, shape).astype(np.int64); i64[1, 1] = -9223372036854775807; i64[2, 2] = 12345
save('int64-blank', i64, BLANK=-9223372036854775807)
save('uint64', rng.integers(0, 2**63, shape, dtype=np.uint64) * np.uint64(2))
f64 = rng.normal(0, 1e200, shape); f64[3, 4] = np.nan
save('float64', f64)
f32 = rng.normal(0, 1, shape).astype(np.float32); f32[0, 5] = np.nan; f32[0, 6] = np.inf
save('float32', f32)
save('cube', rng.normal(0, 1, (4,) + shape).astype(np.float32))
scaled = rng.integers(-1000, 1000, shape).astype(np.int16)
save('scaled16', scaled, BSCALE=0.25, BZERO=100.5)
hdul = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(f32, name='SCI'), fits.ImageHDU(i16, name='DQ')])
hdul.writeto(folder + '/mef.fits')
print(json.dumps(sorted(name for name in ['int8', 'uint8', 'int16-blank', 'uint16', 'int32', 'uint32', 'int64-blank', 'uint64', 'float64', 'float32', 'cube', 'scaled16', 'mef'])))
`

describe.skipIf(!haveAstropy)('readFits against astropy on astropy’s own test files', () => {
  let answers: AstropyFile[] = []
  beforeAll(async () => {
    answers = await astropyRead(FILES)
  })

  it('finds the same HDUs and reads every image HDU’s header values and pixels as astropy does', () => {
    expect(compareWithAstropy(FILES, answers)).toBeGreaterThanOrEqual(20)
  })

  it('reads every BITPIX, BZERO-unsigned and signed-byte data, BLANK, NaN and a cube’s first plane as astropy does', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'imgpipe-fits-types-'))
    try {
      const names = await pythonJson<string[]>(MAKE_TYPES, dir)
      const files = names.map((name) => path.join(dir, `${name}.fits`))
      expect(compareWithAstropy(files, await astropyRead(files))).toBe(14)
      const blank64 = readFits(readFileSync(path.join(dir, 'int64-blank.fits')), { maxPixels: 1000 }).image
      expect(Number.isNaN(blank64.data[17 + 1])).toBe(true)
      expect(blank64.data[2 * 17 + 2]).toBe(12345)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('chooses the first HDU with pixels by default, and an HDU by EXTNAME', () => {
    const raw = readFileSync(path.join(FITS_DATA, 'o4sp040b0_raw.fits'))
    expect(readFits(raw, { maxPixels: 1e6 }).hdu).toBe(1)
    expect(readFits(raw, { hdu: 'sci', maxPixels: 1e6 }).hdu).toBe(1)
    expect(readFits(readFileSync(path.join(FITS_DATA, 'double_ext.fits')), { hdu: 'CCD00', maxPixels: 1e6 }).hdu).toBe(1)
  })
})
