import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { readFits } from '../../../src/analysis/fits/fits-reader.js'
import { writeFits } from '../../../src/analysis/fits/fits-writer.js'
import { type HeaderCard, headerLookup } from '../../../src/analysis/fits/header-card.js'
import { hasPythonModule, pythonJson, runTool } from '../../support/python-oracle.js'
import { astropyPixels, astropyRead, pixelMismatches } from './astropy-oracle.js'

const dir = mkdtempSync(path.join(tmpdir(), 'imgpipe-fits-writer-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A small image with structure, negative values, a NaN and extremes of float32. */
function testImage(width = 37, height = 23): { width: number; height: number; data: Float32Array } {
  const data = new Float32Array(width * height)
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 1000 + (i % 7) * 0.125 - 300
  data[5] = Number.NaN
  data[6] = 3.4028234663852886e38
  data[7] = -1.401298464324817e-45
  return { width, height, data }
}

/** A TAN WCS and cards of every value kind: strings with quotes and beyond one record, bigints, reals, T, undefined. */
const CARDS: HeaderCard[] = [
  { keyword: 'CTYPE1', value: 'RA---TAN', comment: 'gnomonic projection' },
  { keyword: 'CTYPE2', value: 'DEC--TAN' },
  { keyword: 'CRPIX1', value: 18.5 },
  { keyword: 'CRPIX2', value: 12 },
  { keyword: 'CRVAL1', value: 150.11916667 },
  { keyword: 'CRVAL2', value: 2.20583333 },
  { keyword: 'CD1_1', value: -2.7777777777777e-4 },
  { keyword: 'CD1_2', value: 1.5e-7 },
  { keyword: 'CD2_1', value: 1e-21 },
  { keyword: 'CD2_2', value: 2.7777777777777e-4 },
  { keyword: 'RADESYS', value: 'ICRS' },
  { keyword: 'EQUINOX', value: 2000 },
  { keyword: 'OBJECT', value: "Barnard's star", comment: 'a quote inside' },
  { keyword: 'NOTES', value: `a long note that runs past one record: ${'x'.repeat(50)}, and more ${'y'.repeat(80)} end` },
  { keyword: 'BIGID', value: 12345678901234567890n },
  { keyword: 'FLAG', value: true },
  { keyword: 'NOTHING', value: null, comment: 'an undefined value' },
  { keyword: 'COMMENT', comment: 'written by the imgpipe writer test' },
  { keyword: 'HISTORY', comment: 'step one' },
  { keyword: 'NAXIS1', value: 99, comment: 'a caller card the writer owns: left out' },
]

const haveAstropy = hasPythonModule('astropy', 'python3-astropy')

describe('writeFits', () => {
  it('reads back in our reader with identical pixels, NaN included, and every card', () => {
    const image = testImage()
    // Quotes in a long string: astropy 5.2 un-escapes them twice, so only our reader checks this one.
    const quoted: HeaderCard = { keyword: 'QUOTED', value: `it's ${'z'.repeat(70)} '' and ''' ${'w'.repeat(70)} 'end'` }
    const bytes = writeFits(image, [...CARDS, quoted], { now: new Date('2026-12-07T12:34:56.789Z') })
    expect(bytes.length % 2880).toBe(0)
    const back = readFits(bytes, { maxPixels: 1e6 })
    expect(pixelMismatches(back.image.data, image.data)).toEqual([])
    const lookup = headerLookup(back.header)
    expect(lookup.get('NAXIS1')).toBe(37)
    expect(lookup.get('DATE')).toBe('2026-12-07T12:34:56')
    expect(lookup.get('ORIGIN')).toBe('imgpipe')
    for (const card of [...CARDS, quoted].filter((c) => c.value !== undefined && c.keyword !== 'NAXIS1')) {
      expect(lookup.get(card.keyword), card.keyword).toEqual(card.value)
    }
    expect(back.header.filter((card) => card.keyword === 'HISTORY').map((card) => card.comment)).toEqual(['step one'])
  })

  it('reads gzip-compressed files, and reads in place only when the caller gives the bytes up', () => {
    const image = testImage()
    const bytes = writeFits(image, CARDS)
    const copy = bytes.slice()
    expect(pixelMismatches(readFits(gzipSync(bytes), { maxPixels: 1e6 }).image.data, image.data)).toEqual([])
    const kept = readFits(bytes, { maxPixels: 1e6 })
    expect(kept.image.data.buffer).not.toBe(bytes.buffer)
    expect(Buffer.compare(bytes, copy)).toBe(0)
    const reused = readFits(bytes, { maxPixels: 1e6, reuseInput: true })
    expect(reused.image.data.buffer).toBe(bytes.buffer)
    expect(pixelMismatches(reused.image.data, image.data)).toEqual([])
  })

  it('writes BITPIX 16 with BZERO/BSCALE and NaN as BLANK, within half a step of the floats', () => {
    const image = testImage()
    const back = readFits(writeFits(image, [], { bitpix: 16 }), { maxPixels: 1e6 })
    const lookup = headerLookup(back.header)
    expect(lookup.get('BITPIX')).toBe(16)
    expect(lookup.get('BLANK')).toBe(-32768)
    const step = lookup.get('BSCALE') as number
    expect(Number.isNaN(back.image.data[5])).toBe(true)
    let worst = 0
    // Pixels 6 and 7 are the float32 extremes, which set the range; the others must be within half a step.
    for (let i = 8; i < image.data.length; i++) worst = Math.max(worst, Math.abs(back.image.data[i]! - image.data[i]!))
    expect(worst).toBeLessThanOrEqual(step / 2 + 1e-6 * step)
  })

  it.skipIf(!haveAstropy)('passes fitsverify with no errors or warnings, and astropy reads the same pixels and cards', async () => {
    const file = path.join(dir, 'round-trip.fits')
    const image = testImage()
    // fitsverify warns about any undefined value, which FITS allows: that card is left out here.
    writeFileSync(
      file,
      writeFits(
        image,
        CARDS.filter((card) => card.keyword !== 'NOTHING'),
      ),
    )
    const verify = await runTool('fitsverify', [file])
    expect(verify.output).toMatch(/Verification found 0 warning\(s\) and 0 error\(s\)/)
    expect(verify.code).toBe(0)
    const [answer] = await astropyRead([file])
    const astropy = answer!.images[0]!
    expect(pixelMismatches(astropyPixels(astropy), image.data)).toEqual([])
    const theirs = new Map(astropy.cards.map(([keyword, , text]) => [keyword, text]))
    expect(theirs.get('OBJECT')).toBe("Barnard's star")
    expect(theirs.get('NOTES')).toBe(CARDS[13]!.value)
    expect(theirs.get('BIGID')).toBe('12345678901234567890')
    expect(theirs.get('CD2_1')).toBe('1e-21')
    expect(theirs.get('CRVAL1')).toBe('150.11916667')
    expect(theirs.get('NAXIS1')).toBe('37')
    // astropy's own WCS agrees on the sky position of a pixel, so the WCS cards are read as written.
    const sky = await pythonJson<number[]>(
      `import json, sys, warnings\nwarnings.simplefilter('ignore')\nfrom astropy.io import fits\nfrom astropy.wcs import WCS\nw = WCS(fits.getheader(json.load(sys.stdin)))\nprint(json.dumps([float(v) for v in w.all_pix2world([[17.5, 11.0]], 0)[0]]))`,
      file,
    )
    expect(sky[0]).toBeCloseTo(150.11916667, 9)
    expect(sky[1]).toBeCloseTo(2.20583333, 9)
  })

  it.skipIf(!haveAstropy)('writes a BITPIX 16 file fitsverify accepts', async () => {
    const file = path.join(dir, 'sixteen.fits')
    writeFileSync(file, writeFits(testImage(), CARDS.slice(0, 6), { bitpix: 16 }))
    const verify = await runTool('fitsverify', [file])
    expect(verify.output).toMatch(/Verification found 0 warning\(s\) and 0 error\(s\)/)
  })
})
