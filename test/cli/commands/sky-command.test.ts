import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { headerLookup } from '../../../src/analysis/fits/header-card.js'
import { readFits } from '../../../src/analysis/fits/fits-reader.js'
import { readWcs } from '../../../src/analysis/wcs/wcs.js'
import { runTool } from '../../support/python-oracle.js'
import { cleanEnv, runCli } from '../../support/cli.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'imgpipe-sky-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('imgpipe sky make', () => {
  it('writes FITS frames whose WCS puts each truth source where the truth table says, and the same files for a seed', async () => {
    const out = path.join(dir, 'night')
    const result = await runCli(
      ['sky', 'make', out, '--fields', '2', '--frames', '3', '--size', '128', '--stars', '20', '--json'],
      cleanEnv(),
    )
    expect(result.code, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout) as { frames: number; files: string[] }
    expect(report.frames).toBe(6)
    expect((await readdir(out)).sort()).toEqual([...report.files, 'catalogue.csv', 'truth.csv'].sort())
    const truth = (await readFile(path.join(out, 'truth.csv'), 'utf8')).trim().split('\n').slice(1)
    expect(truth).toHaveLength(6 * 3) // three changes per frame
    const [field, frame, , , ra, dec, x, y] = truth[4]!.split(',')
    const fits = readFits(await readFile(path.join(out, `${field}_000${frame}.fits`)), { maxPixels: 1e6 })
    expect([fits.image.width, fits.image.height]).toEqual([128, 128])
    const pixel = readWcs(headerLookup(fits.header)).skyToPixel(Number(ra), Number(dec))
    expect(Math.abs(pixel.x - Number(x))).toBeLessThan(1e-3)
    expect(Math.abs(pixel.y - Number(y))).toBeLessThan(1e-3)
    const again = path.join(dir, 'again')
    expect(
      (await runCli(['sky', 'make', again, '--fields', '2', '--frames', '3', '--size', '128', '--stars', '20'], cleanEnv())).code,
    ).toBe(0)
    const a = await readFile(path.join(out, report.files[5]!))
    const b = await readFile(path.join(again, report.files[5]!))
    // Identical but for the DATE card (when the file was written).
    const strip = (bytes: Buffer): string => bytes.toString('latin1').replace(/DATE {4}= '[^']*'/, '')
    expect(strip(a) === strip(b)).toBe(true)
  })

  it('writes frames fitsverify accepts', async () => {
    expect((await runCli(['sky', 'make', dir, '--frames', '1', '--size', '64', '--stars', '5'], cleanEnv())).code).toBe(0)
    const report = await runTool('fitsverify', [path.join(dir, 'field-a_0001.fits')])
    expect(report.output).toContain('Verification found 0 warning(s) and 0 error(s).')
  })

  it('refuses a size beyond its limit with a usage error', async () => {
    const result = await runCli(['sky', 'make', dir, '--size', '100000'], cleanEnv())
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--size.*at most 8192/)
  })
})
