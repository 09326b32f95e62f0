/**
 * Science images in the viewer: zscale previews, the pixel readout (value and sky position, checked against the
 * WCS module and against astropy for the written file), the image page's observation, the alert page's FITS
 * figures, thumbnails, and hostile files answered with one line while the server goes on.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { headerLookup } from '../../src/analysis/fits/header-card.js'
import { readWcs } from '../../src/analysis/wcs/wcs.js'
import type { Catalog } from '../../src/core/ports/catalog.js'
import { buildWebApp } from '../../src/web/web-app.js'
import { memoryContext, type TestContext } from '../support/memory-context.js'
import { hasPythonModule, pythonJson } from '../support/python-oracle.js'
import { insertFitsStream, withObservations, type FitsImageRow } from './fits-fixture.js'
import type { FastifyInstance } from 'fastify'
import { insertOneImage } from '../support/catalog-writes.js'

let context: TestContext
let app: FastifyInstance
let rows: FitsImageRow[]
let catalog: Catalog
let alertNumber: number
let dir: string

beforeAll(async () => {
  context = await memoryContext()
  ;({ rows, catalog, alertNumber } = await insertFitsStream(context))
  app = await buildWebApp({ catalog, store: context.store })
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-fits-web-'))
})

afterAll(async () => {
  await app?.close()
  await context?.close()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

function row(index: number): FitsImageRow {
  const found = rows[index]
  if (found === undefined) throw new Error(`no FITS row ${index}`)
  return found
}

interface PixelAnswer {
  x: number
  y: number
  value: number | null
  masked: boolean
  sky: { system: string; ra: number; dec: number; raText: string; decText: string } | null
}

async function pixel(imageId: number, x: number, y: number): Promise<PixelAnswer> {
  const response = await app.inject({ url: `/images/${imageId}/pixel?x=${x}&y=${y}` })
  expect(response.statusCode, response.body).toBe(200)
  return response.json<PixelAnswer>()
}

describe('GET /images/:id/preview of a FITS image', () => {
  it('is a PNG of the image size with a range of grey levels, masked pixels dark blue, FITS row 1 at the bottom', async () => {
    const { imageId, frame } = row(0)
    const response = await app.inject({ url: `/images/${imageId}/preview` })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('image/png')
    expect(response.headers['x-fits-preview']).toMatch(/^factor=1; vmin=[\d.]+; vmax=[\d.]+; stretch=asinh$/)
    const { data, info } = await sharp(response.rawPayload).raw().toBuffer({ resolveWithObject: true })
    expect([info.width, info.height, info.channels]).toEqual([frame.image.width, frame.image.height, 3])
    const greys = new Set<number>()
    for (let at = 0; at < data.length; at += 3) greys.add(data[at]!)
    expect(greys.size).toBeGreaterThan(50)
    // The masked corner is FITS x, y 1..MASKED_CORNER: bottom left in the preview.
    const at = ((info.height - 1) * info.width + 0) * 3
    expect([data[at], data[at + 1], data[at + 2]]).toEqual([0, 0, 0x8b])
    const top = 0
    expect(data[top + 2]).not.toBe(0x8b)
  })

  it('answers 304 to a browser that has it, and 404 for a picture', async () => {
    const { imageId } = row(0)
    const first = await app.inject({ url: `/images/${imageId}/preview` })
    const again = await app.inject({ url: `/images/${imageId}/preview`, headers: { 'if-none-match': String(first.headers.etag) } })
    expect(again.statusCode).toBe(304)
    const picture = await insertOneImage(context.catalog, {
      stream: 'pictures',
      imageNum: 1,
      imageFilename: 'a.jpg',
      imageObjectKey: 'image/pictures/a.jpg',
      contentSha256: null,
      byteSize: 10,
      width: 1,
      height: 1,
      format: 'jpeg',
      status: 'received',
    })
    const response = await app.inject({ url: `/images/${picture.image.imageId}/preview` })
    expect(response.statusCode).toBe(404)
    expect(response.json<{ message: string }>().message).toContain('not a FITS image')
  })
})

describe('GET /images/:id/pixel', () => {
  it("answers each pixel's value and the WCS module's sky position for it (TAN-SIP)", async () => {
    const { imageId, frame } = row(1)
    const wcs = readWcs(headerLookup(frame.cards))
    expect(wcs.parameters.sip).toBeDefined()
    for (const [x, y] of [
      [41, 41],
      [160, 120],
      [320, 240],
      [1, 240],
      [300, 17],
    ] as const) {
      const answer = await pixel(imageId, x, y)
      expect(answer.value).toBe(frame.image.data[(y - 1) * frame.image.width + (x - 1)])
      const expected = wcs.pixelToSky(x - 1, y - 1)
      expect(answer.sky?.ra).toBe(expected.ra)
      expect(answer.sky?.dec).toBe(expected.dec)
      expect(answer.sky?.system).toBe('ICRS')
    }
  })

  it('says masked for a BLANK/NaN pixel and refuses coordinates outside the image or not whole numbers', async () => {
    const { imageId } = row(0)
    const masked = await pixel(imageId, 5, 5)
    expect(masked).toMatchObject({ value: null, masked: true })
    expect(masked.sky).not.toBeNull()
    for (const query of ['x=0&y=1', 'x=321&y=1', 'x=1&y=241', 'x=1.5&y=2', 'x=a&y=1', 'y=1']) {
      const response = await app.inject({ url: `/images/${imageId}/pixel?${query}` })
      expect(response.statusCode, query).toBe(400)
      expect(response.json<{ message: string }>().message).not.toContain('\n')
    }
  })

  it.skipIf(!hasPythonModule('astropy', 'python3-astropy'))('agrees with astropy on the written file to 1 mas', async () => {
    const { imageId, bytes } = row(2)
    const file = path.join(dir, 'frame.fits')
    await writeFile(file, bytes)
    const points: [number, number][] = [
      [1, 1],
      [320, 1],
      [1, 240],
      [320, 240],
      [160, 120],
      [77, 203],
      [251, 44],
    ]
    const astropy = await pythonJson<[number, number][]>(
      String.raw`
import json, sys, warnings
from astropy.io import fits
from astropy.wcs import WCS
warnings.simplefilter('ignore')
case = json.load(sys.stdin)
w = WCS(fits.getheader(case['file'], 0))
print(json.dumps([[float(v) for v in w.all_pix2world([[x, y]], 1)[0]] for x, y in case['points']]))
`,
      { file, points },
    )
    for (const [index, [x, y]] of points.entries()) {
      const answer = await pixel(imageId, x, y)
      const [ra, dec] = astropy[index]!
      const cosDec = Math.cos((dec * Math.PI) / 180)
      const separationMas = Math.hypot((answer.sky!.ra - ra) * cosDec, answer.sky!.dec - dec) * 3.6e6
      expect(separationMas, `pixel ${x},${y}`).toBeLessThan(1)
    }
  })
})

describe('GET /images/:id/view', () => {
  it('shows the preview with the readout hooks, the observation and the header', async () => {
    const { imageId, observation } = row(0)
    const response = await app.inject({ url: `/images/${imageId}/view` })
    expect(response.statusCode).toBe(200)
    const page = response.body
    expect(page).toContain(`<img src="../../images/${imageId}/preview"`)
    expect(page).toContain(
      `data-fits-pixel="../../images/${imageId}/pixel" data-fits-width="320" data-fits-height="240" data-preview-factor="1"`,
    )
    expect(page).toContain('<dt>Filter</dt><dd data-obs="filter">r</dd>')
    expect(page).toContain('<dd data-obs="exposure">30 s</dd>')
    expect(page).toContain('<dd data-obs="field">field-a</dd>')
    expect(page).toMatch(/<dd data-obs="time">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC · MJD 61000\.250000<\/dd>/)
    expect(page).toMatch(/<dd data-obs="centre">RA 150\.\d{6}° \(10h00m\d\d\.\d{3}s\) · Dec 2\.\d{6}° \(\+02°1\d′\d\d\.\d\d″\)<\/dd>/)
    expect(page).toContain('<dd data-obs="scale">1.000″ per pixel</dd>')
    expect(page).toContain(`${observation.header.split('\n').length} cards`)
    expect(page).toContain('CTYPE1  = &#39;RA---TAN-SIP&#39;')
    expect(page).toContain(`href="../../images/${imageId}?download=1"`)
    expect(page).not.toMatch(/\sstyle=|<style|<script>/)
  })

  it('shows why a failed image has no picture, a picture as it is, and 400/404 for bad or unknown ids', async () => {
    const { image: failed } = await insertOneImage(context.catalog, {
      stream: 'failures',
      imageNum: 1,
      imageFilename: 'bomb.fits.gz',
      imageObjectKey: 'image/failures/bomb.fits.gz',
      contentSha256: null,
      byteSize: 100,
      width: null,
      height: null,
      format: 'fits',
      status: 'failed',
      errorCode: 'IMGPIPE_IMAGE_TOO_LARGE',
      errorMessage: 'FITS_GZIP_LIMIT: gzip data inflates beyond 408 bytes',
    })
    const page = (await app.inject({ url: `/images/${failed.imageId}/view` })).body
    expect(page).toContain('Not shown: the image failed (IMGPIPE_IMAGE_TOO_LARGE: FITS_GZIP_LIMIT: gzip data inflates beyond 408 bytes).')
    expect(page).not.toContain('/preview"')
    expect(page).not.toContain('data-readout')
    const picture = await insertOneImage(context.catalog, {
      stream: 'pictures',
      imageNum: 2,
      imageFilename: 'b.png',
      imageObjectKey: 'image/pictures/b.png',
      contentSha256: null,
      byteSize: 10,
      width: 4,
      height: 3,
      format: 'png',
      status: 'received',
    })
    const picturePage = (await app.inject({ url: `/images/${picture.image.imageId}/view` })).body
    expect(picturePage).toContain(`<img src="../../images/${picture.image.imageId}" alt=`)
    expect(picturePage).not.toContain('data-readout')
    expect((await app.inject({ url: '/images/0/view' })).statusCode).toBe(400)
    expect((await app.inject({ url: '/images/999999/view' })).statusCode).toBe(404)
  })

  it('escapes what a header says', async () => {
    const { imageId, observation } = row(0)
    const hostile = { ...observation, filter: '<script>alert(1)</script>', field: '"><img src=x>', header: "OBJECT  = '<b>bold</b>'" }
    const dressed = withObservations(context.catalog, new Map([[imageId, hostile]]))
    const other = await buildWebApp({ catalog: dressed, store: context.store })
    try {
      const page = (await other.inject({ url: `/images/${imageId}/view` })).body
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
      expect(page).toContain('&quot;&gt;&lt;img src=x&gt;')
      expect(page).toContain('&lt;b&gt;bold&lt;/b&gt;')
      expect(page).not.toContain('<script>alert')
    } finally {
      await other.close()
    }
  })
})

describe('the alert page of a FITS stream', () => {
  it('shows both frames as previews linked to their pages, with their observations', async () => {
    const page = (await app.inject({ url: `/?alert_num=${alertNumber}` })).body
    const [first, second] = [row(0), row(1)]
    expect(page).toContain(`<a class="frame" href="images/${first.imageId}/view"><img src="images/${first.imageId}/preview"`)
    expect(page).toContain(`<a class="frame" href="images/${second.imageId}/view"><img src="images/${second.imageId}/preview"`)
    expect(page).toContain('filter r · 30 s · MJD 61000.270000')
    expect(page).toContain('<dd data-obs="filter">r</dd>')
    expect(page).toContain(`<img src="images/${second.imageId}/preview" alt="Image`)
    expect(page).toContain('data-readout')
  })

  it('has thumbnails made from the zscale preview', async () => {
    const response = await app.inject({ url: `/thumbnails/${row(1).imageId}` })
    expect(response.statusCode).toBe(200)
    const meta = await sharp(response.rawPayload).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 96, 72])
  })
})

describe('a hostile or broken FITS object', () => {
  const cases: [string, () => Uint8Array][] = [
    ['a header without END', () => Buffer.from('SIMPLE  =                    T'.padEnd(2880, ' '))],
    ['a data unit shorter than the header says', () => row(0).bytes.subarray(0, 2880 * 3)],
    [
      'a huge NAXIS',
      () =>
        Buffer.from(
          [
            'SIMPLE  =                    T',
            'BITPIX  =                  -32',
            'NAXIS   =                    2',
            'NAXIS1  =               100000',
            'NAXIS2  =               100000',
            'END',
          ]
            .map((card) => card.padEnd(80, ' '))
            .join('')
            .padEnd(2880, ' '),
        ),
    ],
  ]
  it.each(cases)('%s: 422 with one line for the preview, the readout and the thumbnail; the server goes on', async (name, make) => {
    const bytes = make()
    const key = `image/hostile/${name.replace(/\W+/g, '_')}.fits`
    await context.store.put(key, bytes)
    const { image } = await insertOneImage(context.catalog, {
      stream: 'hostile',
      imageNum: Math.floor(Math.random() * 1e9),
      imageFilename: 'bad.fits',
      imageObjectKey: key,
      contentSha256: null,
      byteSize: bytes.length,
      width: 10,
      height: 10,
      format: 'fits',
      status: 'received',
    })
    for (const url of [`/images/${image.imageId}/preview`, `/images/${image.imageId}/pixel?x=1&y=1`]) {
      const response = await app.inject({ url })
      expect(response.statusCode, url).toBe(422)
      const { message } = response.json<{ message: string }>()
      expect(message).toMatch(/^image \d+ cannot be shown: FITS_[A-Z_]+: /)
      expect(message).not.toContain('\n')
    }
    expect((await app.inject({ url: `/thumbnails/${image.imageId}` })).statusCode).toBe(404)
    expect((await app.inject({ url: `/images/${row(0).imageId}/pixel?x=2&y=200` })).statusCode).toBe(200)
  })
})
