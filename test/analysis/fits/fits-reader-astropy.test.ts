import { readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { readFits } from '../../../src/analysis/fits/fits-reader.js'
import { headerLookup } from '../../../src/analysis/fits/header-card.js'
import { hasPythonModule } from '../../support/python-oracle.js'
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

describe.skipIf(!haveAstropy)('readFits against astropy on astropy’s own test files', () => {
  let answers: AstropyFile[] = []
  beforeAll(async () => {
    answers = await astropyRead(FILES)
  })

  it('finds the same HDUs and reads every image HDU’s header values and pixels as astropy does', () => {
    let images = 0
    for (const [n, file] of FILES.entries()) {
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
    expect(images).toBeGreaterThanOrEqual(20)
  })

  it('chooses the first HDU with pixels by default, and an HDU by EXTNAME', () => {
    const raw = readFileSync(path.join(FITS_DATA, 'o4sp040b0_raw.fits'))
    expect(readFits(raw, { maxPixels: 1e6 }).hdu).toBe(1)
    expect(readFits(raw, { hdu: 'sci', maxPixels: 1e6 }).hdu).toBe(1)
    expect(readFits(readFileSync(path.join(FITS_DATA, 'double_ext.fits')), { hdu: 'CCD00', maxPixels: 1e6 }).hdu).toBe(1)
  })
})
