import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { ANALYZER, analyzePair } from '../../src/analysis/analyze-pair.js'
import { decodeImage } from '../../src/analysis/decode-image.js'
import type { RawImage } from '../../src/analysis/decode-image.js'
import { renderTeddyBear } from '../../src/analysis/teddy-bear.js'
import { loadConfig } from '../../src/config/load-config.js'

/** The settings table's defaults, as loaded. */
const DEFAULTS = loadConfig({}, {}, '/').analysis

const LIMITS = { maxImagePixels: DEFAULTS.maxImagePixels, maxImageBytes: DEFAULTS.maxImageBytes }
const OPTIONS = { pixelTolerance: DEFAULTS.pixelTolerance, eventThreshold: DEFAULTS.eventThreshold }

let teddyJpeg: Buffer
let teddy: RawImage

beforeAll(async () => {
  teddyJpeg = await renderTeddyBear()
  teddy = await decodeImage(teddyJpeg, LIMITS)
})

async function decodedSize(jpeg: Buffer): Promise<[number, number]> {
  const metadata = await sharp(jpeg).metadata()
  expect(metadata.format).toBe('jpeg')
  return [metadata.width, metadata.height]
}

describe('analyzePair', () => {
  it('names the analyzer', () => {
    expect(ANALYZER).toEqual({ name: 'imgpipe-pixel-diff', version: '1.0.0' })
  })

  it('finds no event and zero metrics for identical images', async () => {
    const copy = await decodeImage(Buffer.from(teddyJpeg), LIMITS)
    expect(await analyzePair(teddy, copy, OPTIONS)).toEqual({
      metrics: { l2Norm: 0, changedFraction: 0, maxAbsDifference: 0, sizeChanged: false },
      event: null,
    })
  })

  it('raises a "changed" event with a 350x350 difference JPEG for the 90° rotation', async () => {
    const rotated = await decodeImage(await renderTeddyBear(350, 1), LIMITS)
    const result = await analyzePair(teddy, rotated, OPTIONS)
    expect(result.metrics.sizeChanged).toBe(false)
    expect(result.metrics.changedFraction).toBeGreaterThan(0.3)
    expect(result.metrics.maxAbsDifference).toBeGreaterThan(200)
    expect(result.event?.eventType).toBe('changed')
    expect(await decodedSize(result.event!.differenceJpeg)).toEqual([350, 350])
  })

  it.each([
    ['JPEG quality 95', (bytes: Buffer) => sharp(bytes).jpeg({ quality: 95 }).toBuffer()],
    ['JPEG quality 75', (bytes: Buffer) => sharp(bytes).jpeg({ quality: 75 }).toBuffer()],
    ['JPEG quality 50', (bytes: Buffer) => sharp(bytes).jpeg({ quality: 50 }).toBuffer()],
    ['WebP (default quality)', (bytes: Buffer) => sharp(bytes).webp().toBuffer()],
    ['WebP quality 50', (bytes: Buffer) => sharp(bytes).webp({ quality: 50 }).toBuffer()],
  ])('ignores re-encoding noise with the default settings: %s', async (_name, reencode) => {
    const current = await decodeImage(await reencode(teddyJpeg), LIMITS)
    const result = await analyzePair(teddy, current, OPTIONS)
    expect(result.event).toBeNull()
    expect(result.metrics.maxAbsDifference).toBeGreaterThan(0) // the noise is real...
    expect(result.metrics.changedFraction).toBeLessThan(DEFAULTS.eventThreshold / 10) // ...and far below the threshold
  })

  it('raises an event only when the changed fraction is strictly above the threshold', async () => {
    const base: RawImage = { width: 10, height: 10, channels: 3, data: new Uint8Array(300).fill(100) }
    const onePixel = { ...base, data: Uint8Array.from(base.data) }
    onePixel.data[0] = 255
    const twoPixels = { ...onePixel, data: Uint8Array.from(onePixel.data) }
    twoPixels.data[30] = 0
    const options = { pixelTolerance: 48, eventThreshold: 0.01 }
    expect((await analyzePair(base, onePixel, options)).event).toBeNull()
    const result = await analyzePair(base, twoPixels, options)
    expect(result.metrics.changedFraction).toBe(0.02)
    expect(result.event?.eventType).toBe('changed')
    expect(await decodedSize(result.event!.differenceJpeg)).toEqual([10, 10])
  })

  it('raises a "size_changed" event when the size differs, comparing at the current size', async () => {
    const smaller = await decodeImage(await renderTeddyBear(200), LIMITS)
    const result = await analyzePair(teddy, smaller, OPTIONS)
    expect(result.metrics.sizeChanged).toBe(true)
    // The same drawing at another size: few pixels differ, but a size change is always an event.
    expect(result.metrics.changedFraction).toBeLessThan(DEFAULTS.eventThreshold)
    expect(result.event?.eventType).toBe('size_changed')
    expect(await decodedSize(result.event!.differenceJpeg)).toEqual([200, 200])
  })

  it('rejects an event threshold outside 0..1', async () => {
    await expect(analyzePair(teddy, teddy, { pixelTolerance: 48, eventThreshold: 2 })).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
  })
})
