import { createHash } from 'node:crypto'
import sharp from 'sharp'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { writeFits } from '../../../src/analysis/fits/fits-writer.js'
import type { FloatImage } from '../../../src/analysis/float-image.js'
import { mulberry32 } from '../../../src/analysis/sensor-noise.js'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { addMoffatStar } from '../../../src/analysis/sky/moffat.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame } from '../../../src/analysis/sky/mock-sky.js'
import { isFloatPixels } from '../../../src/core/ports/analyzer.js'
import type { ImageRecord } from '../../../src/core/types.js'
import { AnalyzeStage } from '../../../src/stages/analyze/analyze-stage.js'
import { PixelSource } from '../../../src/stages/analyze/pixel-source.js'
import { ReceiveStage } from '../../../src/stages/receive/receive-stage.js'
import { concat, headerBytes } from '../../analysis/fits/fits-bytes.js'
import { memoryContext, type TestContext } from '../../support/memory-context.js'

const SKY = { ...DEFAULT_MOCK_SKY, width: 160, height: 128, stars: 40, seed: 11 }

let context: TestContext
let sky: FloatImage
beforeAll(() => {
  sky = renderMockSkyFrame(SKY, 0, 1).image
})
beforeEach(async () => {
  context = await memoryContext()
})
afterEach(async () => {
  await context.close()
})

/** The field again with fresh noise (σ 10 ADU), and a new star when asked. */
function exposure(seed: number, star?: { x: number; y: number; flux: number }): FloatImage {
  const random = mulberry32(seed)
  const data = Float32Array.from(sky.data)
  for (let i = 0; i < data.length; i++) data[i]! += 10 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const image = { width: sky.width, height: sky.height, data }
  if (star !== undefined) addMoffatStar(image, star.x, star.y, star.flux, { fwhm: 2.5, beta: 3 })
  return image
}

/** Receives a frame as a FITS file through the real receive stage (its FITS check), with `context` as given. */
async function receiveFits(imageNum: number, image: FloatImage, on: TestContext = context): Promise<ImageRecord> {
  const bytes = Buffer.from(writeFits(image))
  const outcome = await new ReceiveStage(on).receive({
    stream: 'sky',
    imageNum,
    filename: `frame_${imageNum}.fits`,
    bytes,
    byteSize: bytes.length,
  })
  expect(outcome.kind).toBe('received')
  return outcome.image
}

describe('AnalyzeStage on FITS streams', () => {
  it('compares FITS frames in float pixels: an event for a new source, none for new noise alone', async () => {
    const stage = new AnalyzeStage(context)
    const one = await receiveFits(1, exposure(1))
    const two = await receiveFits(2, exposure(2, { x: 80.4, y: 60.2, flux: 5_000_000 }))
    const three = await receiveFits(3, exposure(3, { x: 80.4, y: 60.2, flux: 5_000_000 }))
    for (const image of [one, two, three]) await stage.analyzeImage(image.imageId)

    const second = await context.catalog.getImage(two.imageId)
    expect(second).toMatchObject({ status: 'analyzed', previousImageId: one.imageId })
    // Image units (ADU): the star's peak is thousands, far beyond an 8-bit conversion's 255.
    expect(second!.maxAbsDifference).toBeGreaterThan(5000)
    expect(second!.changedFraction).toBeGreaterThan(0.001)
    const event = await context.catalog.getEventByImageId(two.imageId)
    expect(event).toMatchObject({ eventType: 'changed', analyzer: 'imgpipe-pixel-diff', analyzerVersion: '1.0.0' })
    const jpeg = await sharp(await context.store.get(event!.differenceImageObjectKey!)).metadata()
    expect([jpeg.format, jpeg.width, jpeg.height]).toEqual(['jpeg', 160, 128])

    // Frame 3: the star stays, only the noise is new.
    const third = await context.catalog.getImage(three.imageId)
    expect(third).toMatchObject({ status: 'analyzed', previousImageId: two.imageId })
    expect(third!.changedFraction).toBeLessThan(0.001)
    expect(await context.catalog.getEventByImageId(three.imageId)).toBeNull()
  })

  it('takes float pixels handed over for the bytes and the HDU its row names, instead of reading them again', async () => {
    const pixels = new PixelSource(context.store, context.analysis)
    const stage = new AnalyzeStage({ ...context, pixels })
    const frames = [exposure(1), exposure(2)]
    const rows = [await receiveFits(1, frames[0]!), await receiveFits(2, frames[1]!)]
    expect(rows.map((row) => row.observation?.hdu)).toEqual([0, 0])
    // As the receive check of this process offers them (check-fits.ts): the bytes it read, the HDU it read them from.
    for (const [index, row] of rows.entries()) pixels.handOver.offer(await context.store.get(row.imageObjectKey), frames[index]!, 0)
    // Under another HDU's key: never handed out for these rows.
    pixels.handOver.offer(await context.store.get(rows[0]!.imageObjectKey), frames[1]!, 1)
    expect(pixels.handOver.size).toBe(3 * 160 * 128 * 4)
    for (const row of rows) await stage.analyzeImage(row.imageId)
    expect(pixels.handOver.size).toBe(160 * 128 * 4) // both frames handed over, neither read twice
    expect(await context.catalog.getImage(rows[1]!.imageId)).toMatchObject({ status: 'analyzed', previousImageId: rows[0]!.imageId })
  })

  it('a FITS file cut short fails its own image with the FITS reason', async () => {
    const stage = new AnalyzeStage(context)
    const one = await receiveFits(1, exposure(1))
    const two = await receiveFits(2, exposure(2))
    const cut = (await context.store.get(two.imageObjectKey)).subarray(0, 4000)
    await context.store.put(two.imageObjectKey, cut)
    await context.catalog.executeSql(`UPDATE image_metadata SET content_sha256 = NULL WHERE image_id = ${two.imageId}`)
    await stage.analyzeImage(one.imageId)
    await stage.analyzeImage(two.imageId)
    expect(await context.catalog.getImage(two.imageId)).toMatchObject({
      status: 'failed',
      errorCode: 'IMGPIPE_IMAGE_INVALID',
      errorMessage: expect.stringMatching(/FITS_TRUNCATED/),
    })
  })
})

describe('PixelSource', () => {
  const card = (keyword: string, value: string | number): string =>
    `${keyword.padEnd(8)}= ${typeof value === 'number' ? String(value).padStart(20) : `'${value.padEnd(8)}'`.padEnd(20)}`

  it("reads a FITS file as float32 from the HDU its row names, once the hash of the bytes is the row's", async () => {
    const primary = writeFits(exposure(1))
    const second = exposure(2)
    // An image extension after the primary: the same data unit under an XTENSION header.
    const data = Buffer.alloc(Math.ceil((second.data.length * 4) / 2880) * 2880)
    for (let i = 0; i < second.data.length; i++) data.writeFloatBE(second.data[i]!, i * 4)
    const extension = headerBytes([
      card('XTENSION', 'IMAGE'),
      card('BITPIX', -32),
      card('NAXIS', 2),
      card('NAXIS1', second.width),
      card('NAXIS2', second.height),
      card('PCOUNT', 0),
      card('GCOUNT', 1),
    ])
    const bytes = Buffer.from(concat(primary, extension, data))
    await context.store.put('image/mef.fits', bytes)
    const pixels = new PixelSource(context.store, context.analysis)
    const row = (hdu: number | undefined, sha: string) =>
      ({
        imageObjectKey: 'image/mef.fits',
        contentSha256: sha,
        observation: hdu === undefined ? null : { hdu },
      }) as ImageRecord
    const fromOne = await pixels.pixels(row(1, 'a'.repeat(64)), true).catch((error: unknown) => error)
    // The hash check comes first: a row whose bytes are not these is refused.
    expect(fromOne).toMatchObject({ code: 'IMGPIPE_OBJECT_MISMATCH' })
    const sha = createHash('sha256').update(bytes).digest('hex')
    const extensionPixels = await pixels.pixels(row(1, sha))
    const primaryPixels = await pixels.pixels(row(undefined, sha))
    expect(isFloatPixels(extensionPixels) && isFloatPixels(primaryPixels)).toBe(true)
    expect(extensionPixels.data[1234]).toBe(second.data[1234])
    expect(primaryPixels.data[1234]).not.toBe(second.data[1234])
  })

  it('keeps nothing receive hands over until an analyze stage of the process accepts it', async () => {
    const pixels = new PixelSource(context.store, context.analysis)
    const receive = new ReceiveStage({ ...context, pixels })
    const offer = async (imageNum: number, size: number) => {
      const bytes = await renderTeddyBear(size)
      await receive.receive({ stream: 'cam', imageNum, filename: `t${imageNum}.jpg`, bytes, byteSize: bytes.length })
    }
    await offer(1, 32)
    expect(pixels.handOver.size).toBe(0) // a process that only receives holds no pixels
    new AnalyzeStage({ ...context, pixels })
    await offer(2, 48)
    expect(pixels.handOver.size).toBe(48 * 48 * 3)
  })
})
