import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { walkHdus } from '../../../src/analysis/fits/fits-hdus.js'
import { readFits } from '../../../src/analysis/fits/fits-reader.js'
import { DITHER_RANDOMS } from '../../../src/analysis/fits/dither-randoms.js'
import { hasPythonModule, pythonJson, runTool } from '../../support/python-oracle.js'
import { type AstropyFile, astropyPixels, astropyRead, pixelMismatches } from './astropy-oracle.js'

/** Source images made by astropy at test time: every integer type, floats with NaN, BLANK pixels, odd sizes. */
const MAKE_SOURCES = String.raw`
import json, sys
import numpy as np
from astropy.io import fits
folder = json.load(sys.stdin)
rng = np.random.default_rng(17)
h, w = 203, 301
y, x = np.mgrid[0:h, 0:w]
star = 4000 * np.exp(-((x - 150.3) ** 2 + (y - 100.7) ** 2) / 8.0)
sky = 1000 + star + rng.normal(0, 15, (h, w))
i16 = np.round(sky - 1000).astype(np.int16)
i16[5, 7:20] = -999
header = fits.Header(); header['BLANK'] = -999
fits.PrimaryHDU(i16, header=header).writeto(folder + '/i16.fits')
fits.PrimaryHDU(np.round(sky * 20).astype(np.uint16)).writeto(folder + '/u16.fits')
fits.PrimaryHDU(np.clip(np.round(sky / 20), 0, 255).astype(np.uint8)).writeto(folder + '/u8.fits')
fits.PrimaryHDU((np.round(sky * 1000) - 2**30).astype(np.int32)).writeto(folder + '/i32.fits')
f32 = (sky + rng.normal(0, 1, (h, w))).astype(np.float32)
f32[0:3, 0:4] = np.nan
f32[50, 60:90] = 0.0
fits.PrimaryHDU(f32).writeto(folder + '/f32.fits')
print(json.dumps('ok'))
`

/** fpack runs: [source, fpack flags, expected ZCMPTYPE, expected ZQUANTIZ or null]. */
const RUNS: [string, string[], string, string | null][] = [
  ['i16', ['-r'], 'RICE_1', null],
  ['i16', ['-g'], 'GZIP_1', null],
  ['i16', ['-g2'], 'GZIP_2', null],
  ['i16', ['-r', '-t', '64,32'], 'RICE_1', null],
  ['u16', ['-r'], 'RICE_1', null],
  ['u16', ['-g2', '-t', '100,100'], 'GZIP_2', null],
  ['u8', ['-r'], 'RICE_1', null],
  ['u8', ['-g'], 'GZIP_1', null],
  ['i32', ['-r'], 'RICE_1', null],
  ['i32', ['-g2'], 'GZIP_2', null],
  ['f32', ['-r', '-q', '4'], 'RICE_1', 'SUBTRACTIVE_DITHER_1'],
  ['f32', ['-r', '-qz', '4'], 'RICE_1', 'SUBTRACTIVE_DITHER_2'],
  ['f32', ['-r', '-q0', '4'], 'RICE_1', 'NO_DITHER'],
  ['f32', ['-r', '-qt', '2', '-t', '50,40'], 'RICE_1', 'SUBTRACTIVE_DITHER_1'],
  ['f32', ['-g', '-q', '4'], 'GZIP_1', 'SUBTRACTIVE_DITHER_1'],
  ['f32', ['-g2', '-qz', '8'], 'GZIP_2', 'SUBTRACTIVE_DITHER_2'],
  ['f32', ['-g', '-q', '0'], 'GZIP_1', 'NONE'],
]

const haveOracles = hasPythonModule('astropy', 'python3-astropy')

describe.skipIf(!haveOracles)('tile-compressed images made by fpack, read as astropy reads them', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'imgpipe-fits-tiles-'))
  const outputs: string[] = []
  let answers: AstropyFile[] = []
  let sources: AstropyFile[] = []
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  beforeAll(async () => {
    await pythonJson(MAKE_SOURCES, dir)
    for (const [n, [source, flags]] of RUNS.entries()) {
      const output = path.join(dir, `run${n}-${source}.fits.fz`)
      const result = await runTool('fpack', [...flags, '-O', output, path.join(dir, `${source}.fits`)])
      if (result.code !== 0) throw new Error(`fpack ${flags.join(' ')} failed: ${result.output}`)
      outputs.push(output)
    }
    answers = await astropyRead(outputs)
    sources = await astropyRead(RUNS.map(([source]) => path.join(dir, `${source}.fits`)))
  })

  for (const [n, [source, flags, type, quantize]] of RUNS.entries()) {
    it(`${source} with fpack ${flags.join(' ')}: ${type}${quantize === null ? '' : `, ${quantize}`}`, () => {
      const bytes = readFileSync(outputs[n]!)
      const table = walkHdus(bytes)[1]!
      expect(table.kind).toBe('compressed-image')
      // fpack 1.7 names RICE_1 by its old name RICE_ONE with -qz.
      expect(String(table.lookup.get('ZCMPTYPE')).trim().replace('RICE_ONE', 'RICE_1')).toBe(type)
      expect(table.lookup.get('ZQUANTIZ') ?? null).toBe(quantize)
      const ours = readFits(bytes, { maxPixels: 1e6 })
      // astropy 5.2 decodes the tiles as we do, except that it leaves masked pixels unmasked: it ignores ZBLANK in
      // quantized floats and BLANK in integers. So the pixels are compared where ours are not NaN, and our NaNs with
      // the source's masked pixels. (funpack of CFITSIO 4.0.2 is no oracle here: it misplaces 2-D float tiles.)
      const theirs = answers[n]!.images[0]!
      const astropyDirect = astropyPixels(theirs)
      const unmasked = ours.image.data.map((value, i) => (Number.isNaN(value) ? astropyDirect[i]! : value))
      expect(pixelMismatches(unmasked, astropyDirect)).toEqual([])
      const sourcePixels = astropyPixels(sources[n]!.images[0]!)
      const masked = (pixels: Float32Array) => [...pixels.keys()].filter((i) => Number.isNaN(pixels[i]))
      expect(masked(ours.image.data)).toEqual(masked(sourcePixels))
      expect([ours.image.width, ours.image.height]).toEqual([theirs.width, theirs.height])
      // Lossless runs give back the source pixels themselves.
      if (quantize === null || quantize === 'NONE') {
        const original = readFits(readFileSync(path.join(dir, `${source}.fits`)), { maxPixels: 1e6 })
        expect(pixelMismatches(ours.image.data, original.image.data)).toEqual([])
      }
    })
  }

  it('decodes NaN, the BLANK value and (with SUBTRACTIVE_DITHER_2) exact zeros', () => {
    const i16 = readFits(readFileSync(outputs[0]!), { maxPixels: 1e6 }).image
    expect(Number.isNaN(i16.data[5 * 301 + 7]!)).toBe(true)
    const dither2 = readFits(readFileSync(outputs[11]!), { maxPixels: 1e6 }).image
    expect(Number.isNaN(dither2.data[0]!)).toBe(true)
    expect([...dither2.data.subarray(50 * 301 + 60, 50 * 301 + 90)].every((value) => value === 0)).toBe(true)
  })
})

describe('the dither sequence', () => {
  it('is the convention’s Park–Miller sequence held as float32', () => {
    // §10.2.1: seed 1, a = 16807, m = 2^31 − 1; the 10,000th seed of this generator is 1043618065 (Park & Miller 1988).
    expect(DITHER_RANDOMS[0]).toBe(Math.fround(16807 / 2147483647))
    expect(DITHER_RANDOMS[9999]).toBe(Math.fround(1043618065 / 2147483647))
  })
})
