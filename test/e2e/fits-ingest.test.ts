/**
 * `imgpipe ingest` of a folder of FITS files, as a user runs it: mock-sky frames (`imgpipe sky make`), astropy's own
 * test images (files no one here wrote; astropy, a test oracle only, says what they hold) and hostile files. Good
 * files are recorded as `fits` with the size and header columns astropy sees; each hostile file fails alone with
 * its code and one line, and the files after it are still recorded.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { walkHdus } from '../../src/analysis/fits/fits-hdus.js'
import { cleanEnv, runCli, type CliResult } from '../support/cli.js'
import { hasPythonModule, pythonJson } from '../support/python-oracle.js'
import { concat, headerBytes } from '../analysis/fits/fits-bytes.js'

const ASTROPY = '/usr/lib/python3/dist-packages/astropy'
/** Every image file among astropy's FITS and WCS test data: plain, scaled, blank, multi-extension, tile-compressed, gzipped. */
const ASTROPY_IMAGES = [
  ...['arange', 'blank', 'checksum', 'comp', 'compressed_float_bzero', 'compressed_image', 'double_ext', 'fixed-1890'].map(
    (name) => `io/fits/tests/data/${name}.fits`,
  ),
  ...['o4sp040b0_raw', 'scale', 'test0'].map((name) => `io/fits/tests/data/${name}.fits`),
  ...['dss.14.29.56-62.41.05.fits.gz', 'header_newlines.fits', 'ie6d07ujq_wcs.fits', 'j94f05bgq_flt.fits'].map(
    (name) => `wcs/tests/data/${name}`,
  ),
]
const MOCK_FRAMES = ['field-a_0001.fits', 'field-a_0002.fits', 'field-a_0003.fits', 'field-a_0004.fits']
/** Written after the hostile files (names sort after theirs): recorded, so the stream went on. */
const AFTER = 'z-after.fits.gz'
const MAS = 1 / 3.6e6
/**
 * Files whose centre imgpipe and astropy compute from different keywords, with the distance allowed. The DSS image
 * carries both a CD matrix and the plate solution (AMDXn/AMDYn); wcslib (inside astropy) translates the plate
 * solution and prefers it, imgpipe's WCS reads the CD matrix: 4.7 mas apart at this image's centre.
 */
const OTHER_WCS: Record<string, number> = { 'a-dss.14.29.56-62.41.05.fits.gz': 10 * MAS }
/** Celestial WCSs imgpipe declines (no sky columns rather than wrong ones): PV1_1/PV1_2 move the fiducial point. */
const DECLINED_WCS = new Set(['a-header_newlines.fits'])

/** The hostile files and the code and reason each must fail with. */
const HOSTILE: Record<string, [code: string, reason: string]> = {
  'h-1-no-end.fits': ['IMGPIPE_IMAGE_INVALID', 'FITS_NO_END'],
  'h-2-huge.fits': ['IMGPIPE_IMAGE_TOO_LARGE', 'FITS_TOO_LARGE'],
  'h-3-negative.fits': ['IMGPIPE_IMAGE_INVALID', 'FITS_BAD_AXIS'],
  'h-4-short.fits': ['IMGPIPE_IMAGE_INVALID', 'FITS_TRUNCATED'],
  'h-5-blocks.fits': ['IMGPIPE_IMAGE_TOO_LARGE', 'FITS_TOO_MANY_BLOCKS'],
  'h-6-tile.fits': ['IMGPIPE_IMAGE_INVALID', 'FITS_BAD_TILE'],
  'h-7-bomb.fits.gz': ['IMGPIPE_IMAGE_TOO_LARGE', 'FITS_GZIP_LIMIT'],
}

/** What astropy says of a file's first image HDU: index, size, header values, and the sky position of its centre. */
interface AstropyAnswer {
  name: string
  index: number
  width: number
  height: number
  /** FILTER, else FILTNAME, BAND or FILTER1, as imgpipe reads them. */
  filter: string | number | null
  /** MJD-OBS (or OBSMJD, MJD_OBS). */
  mjd: number | null
  /** Centre pixel ((w − 1)/2, (h − 1)/2) through astropy's WCS (SIP included), when it is celestial. */
  ra: number | null
  dec: number | null
  radesys: string | null
  equinox: number | null
}

const ORACLE = String.raw`
import json, math, sys, warnings
warnings.simplefilter('ignore')
from astropy.io import fits
from astropy.wcs import WCS
def first(header, keywords):
    # The keywords imgpipe reads for the column, first present wins (analysis/observation-metadata.ts).
    for keyword in keywords:
        value = header.get(keyword)
        if value is not None and value != '': return value
    return None
out = []
for path in json.load(sys.stdin):
    with fits.open(path) as hdul:
        for index, hdu in enumerate(hdul):
            if isinstance(hdu, fits.GroupsHDU) or not isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)): continue
            shape = hdu.shape
            if len(shape) == 0 or 0 in shape: continue
            h = hdu.header
            w, hh = int(shape[-1]), (int(shape[-2]) if len(shape) > 1 else 1)
            answer = {'name': path.split('/')[-1], 'index': index, 'width': w, 'height': hh,
                      'filter': first(h, ['FILTER', 'FILTNAME', 'BAND', 'FILTER1']), 'mjd': first(h, ['MJD-OBS', 'OBSMJD', 'MJD_OBS']), 'ra': None, 'dec': None, 'radesys': None, 'equinox': None}
            if str(h.get('CTYPE1', '')).startswith('RA'):
                wcs = WCS(h, hdul)
                if wcs.naxis == 2 and wcs.has_celestial:
                    ra, dec = wcs.all_pix2world([[(w - 1) / 2, (hh - 1) / 2]], 0)[0]
                    answer.update(ra=float(ra), dec=float(dec), radesys=wcs.wcs.radesys,
                                  equinox=None if math.isnan(wcs.wcs.equinox) else float(wcs.wcs.equinox))
            out.append(answer)
            break
print(json.dumps(out))
`

const haveAstropy = hasPythonModule('astropy', 'python3-astropy')

function image(records: string[]): Uint8Array {
  return headerBytes(['SIMPLE  =                    T', ...records])
}

function writeHostileFiles(dir: string): void {
  const axes = (bitpix: number, width: number, height: number): string[] => [
    `BITPIX  = ${String(bitpix).padStart(20)}`,
    'NAXIS   =                    2',
    `NAXIS1  = ${String(width).padStart(20)}`,
    `NAXIS2  = ${String(height).padStart(20)}`,
  ]
  const put = (name: string, bytes: Uint8Array): void => writeFileSync(path.join(dir, name), bytes)
  put(
    'h-1-no-end.fits',
    headerBytes(['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0'], false),
  )
  put('h-2-huge.fits', image(axes(-32, 1_000_000, 1_000_000)))
  put('h-3-negative.fits', image(axes(16, -5, 10)))
  put('h-4-short.fits', concat(image(axes(-32, 100, 100)), new Uint8Array(1000)))
  put('h-5-blocks.fits', headerBytes(['SIMPLE  =                    T', ...Array.from({ length: 3000 * 36 }, () => 'COMMENT padding')]))
  const tiles = new Uint8Array(readFileSync(path.join(ASTROPY, 'io/fits/tests/data/comp.fits')))
  // Row 10's tile descriptor (count, offset) sent 2 GB past the heap.
  new DataView(tiles.buffer, tiles.byteOffset).setUint32(walkHdus(tiles)[1]!.dataOffset + 10 * 8 + 4, 0x7fff0000)
  put('h-6-tile.fits', tiles)
  // A 1000×1000 header, then 1 GB of zeros in 64 gzip members (they inflate as one stream).
  const zeros = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 })
  put('h-7-bomb.fits.gz', concat(gzipSync(image(axes(-32, 1000, 1000))), ...Array.from({ length: 64 }, () => zeros)))
}

type Row = Record<string, unknown> & { image_filename: string }

describe.runIf(haveAstropy)('imgpipe ingest of a folder of FITS files', () => {
  let dir: string
  let result: CliResult
  let report: { outcomes: Record<string, number>; rejected: { file: string; code: string; reason: string }[]; skipped: { path: string }[] }
  let rows: Map<string, Row>
  let astropy: Map<string, AstropyAnswer>

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-fits-ingest-'))
    const input = path.join(dir, 'in')
    await mkdir(input)
    const env = cleanEnv({
      IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'imgpipe.db')}`,
      IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
      // 4 M pixels holds every good file here and keeps the bomb's inflate limit at ~46 MB instead of ~410 MB.
      IMGPIPE_MAX_IMAGE_PIXELS: '4000000',
    })
    const sky = await runCli(['sky', 'make', input, '--frames', '4', '--size', '200', '--stars', '40', '--seed', '5'], env)
    expect(sky.code, sky.stderr).toBe(0)
    for (const file of ASTROPY_IMAGES) copyFileSync(path.join(ASTROPY, file), path.join(input, `a-${path.basename(file)}`))
    writeHostileFiles(input)
    writeFileSync(path.join(input, AFTER), gzipSync(readFileSync(path.join(input, MOCK_FRAMES[3]!))))
    const good = [...ASTROPY_IMAGES.map((file) => `a-${path.basename(file)}`), ...MOCK_FRAMES, AFTER]
    const answers = await pythonJson<AstropyAnswer[]>(
      ORACLE,
      good.map((name) => path.join(input, name)),
    )
    astropy = new Map(answers.map((answer) => [answer.name, answer]))
    expect([...astropy.keys()].sort()).toEqual([...good].sort())

    result = await runCli(['ingest', input, '--stream', 'sky', '--json'], env, { timeoutMs: 240_000 })
    report = JSON.parse(result.stdout) as typeof report
    const db = new Database(path.join(dir, 'imgpipe.db'), { readonly: true })
    try {
      const all = db.prepare('SELECT * FROM image_metadata ORDER BY image_num').all() as Row[]
      rows = new Map(all.map((row) => [row.image_filename, row]))
    } finally {
      db.close()
    }
  }, 300_000)

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('records every good file as fits with the size astropy sees, and skips the truth tables beside them', () => {
    // 3: some files were rejected, the good ones went through.
    expect(result.code, result.stderr).toBe(3)
    expect(report.outcomes).toMatchObject({ received: astropy.size, failed: Object.keys(HOSTILE).length })
    expect(report.skipped.map((entry) => path.basename(entry.path)).sort()).toEqual(['catalogue.csv', 'truth.csv'])
    for (const [name, answer] of astropy) {
      const row = rows.get(name)
      expect(row, name).toBeDefined()
      expect([row!.format, row!.width, row!.height], name).toEqual(['fits', answer.width, answer.height])
      const extension = name.endsWith('.gz') ? 'fits.gz' : 'fits'
      expect(row!.image_object_key, name).toBe(`image/sky__image_${String(row!.image_num).padStart(5, '0')}.${extension}`)
    }
  })

  it('fails each hostile file alone with its code and one line, and goes on with the files after it', () => {
    expect(Object.fromEntries(report.rejected.map((bad) => [bad.file, [bad.code, bad.reason.split(':')[0]]]))).toEqual(HOSTILE)
    for (const [name, [code, reason]] of Object.entries(HOSTILE)) {
      const row = rows.get(name)!
      expect([row.status, row.error_code, row.format], name).toEqual(['failed', code, null])
      expect(row.error_message, name).toMatch(new RegExp(`^${reason}: [^\\n]+$`))
    }
    const lastHostile = Math.max(...Object.keys(HOSTILE).map((name) => rows.get(name)!.image_num as number))
    const after = rows.get(AFTER)!
    expect(after.image_num as number).toBeGreaterThan(lastHostile)
    expect([after.format, after.width, after.height]).toEqual(['fits', 200, 200])
  })

  it('runs the pixel-difference analysis on the FITS stream', () => {
    for (const name of astropy.keys())
      expect([name, rows.get(name)!.status, rows.get(name)!.error_message]).toEqual([name, 'analyzed', null])
  })

  it('keeps the header columns: HDU, time and filter as written, the centre where astropy puts it to 1 mas', () => {
    let centres = 0
    for (const [name, answer] of astropy) {
      const row = rows.get(name)!
      expect(row.fits_hdu, name).toBe(answer.index)
      expect(row.filter, name).toBe(answer.filter === null ? null : String(answer.filter).trim())
      if (answer.mjd !== null) expect(row.obs_mjd, name).toBeCloseTo(answer.mjd, 9)
      // imgpipe gives sky columns in ICRS (FK5 J2000 within 25 mas of it) only; FK4 and others get none.
      const icrs = answer.radesys === 'ICRS' || (answer.radesys === 'FK5' && (answer.equinox ?? 2000) === 2000)
      if (answer.ra === null || !icrs || DECLINED_WCS.has(name)) {
        expect([row.center_ra, row.center_dec], name).toEqual([null, null])
        continue
      }
      const tolerance = OTHER_WCS[name] ?? MAS
      expect(Math.abs((row.center_ra as number) - answer.ra) * Math.cos((answer.dec! * Math.PI) / 180), name).toBeLessThan(tolerance)
      expect(Math.abs((row.center_dec as number) - answer.dec!), name).toBeLessThan(tolerance)
      centres++
    }
    // The five mock frames, and astropy's three celestial images in ICRS or FK5 J2000 that imgpipe reads.
    expect(centres).toBe(MOCK_FRAMES.length + 1 + 3)
    expect(rows.get(MOCK_FRAMES[0]!)).toMatchObject({ filter: 'r', field: 'field-a', exposure_s: 30 })
  })
  it('reads the HDU --hdu or IMGPIPE_FITS_HDU names, by EXTNAME or index', async () => {
    const extension = (name: string, width: number, height: number): Uint8Array =>
      concat(
        headerBytes([
          "XTENSION= 'IMAGE   '",
          'BITPIX  =                   16',
          'NAXIS   =                    2',
          `NAXIS1  = ${String(width).padStart(20)}`,
          `NAXIS2  = ${String(height).padStart(20)}`,
          'PCOUNT  =                    0',
          'GCOUNT  =                    1',
          `EXTNAME = '${name.padEnd(8)}'`,
        ]),
        new Uint8Array(Math.ceil((width * height * 2) / 2880) * 2880),
      )
    const file = path.join(dir, 'mef.fits')
    writeFileSync(
      file,
      concat(image(['BITPIX  =                    8', 'NAXIS   =                    0']), extension('SCI', 30, 20), extension('ERR', 7, 5)),
    )
    const env = (extra: Record<string, string> = {}) =>
      cleanEnv({
        IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'hdu.db')}`,
        IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'hdu-objects')}`,
        ...extra,
      })
    const runs = [
      await runCli(['ingest', file, '--stream', 'first'], env()),
      await runCli(['ingest', file, '--stream', 'by-name', '--hdu', 'err'], env()),
      await runCli(['ingest', file, '--stream', 'by-index'], env({ IMGPIPE_FITS_HDU: '2' })),
    ]
    expect(runs.map((run) => [run.code, run.stderr])).toEqual(runs.map(() => [0, '']))
    const db = new Database(path.join(dir, 'hdu.db'), { readonly: true })
    try {
      expect(db.prepare('SELECT stream, width, height, fits_hdu FROM image_metadata ORDER BY image_id').all()).toEqual([
        { stream: 'first', width: 30, height: 20, fits_hdu: 1 },
        { stream: 'by-name', width: 7, height: 5, fits_hdu: 2 },
        { stream: 'by-index', width: 7, height: 5, fits_hdu: 2 },
      ])
    } finally {
      db.close()
    }
    const missing = await runCli(['ingest', file, '--stream', 'missing', '--hdu', 'DQ', '--json'], env())
    expect(missing.code).toBe(3)
    expect(JSON.parse(missing.stdout)).toMatchObject({
      rejected: [{ file: 'mef.fits', code: 'IMGPIPE_IMAGE_INVALID', reason: expect.stringMatching(/^FITS_NO_IMAGE: /) }],
    })
  })
})
