import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { analyzePair } from '../../src/analysis/analyze-pair.js'
import { decodeImage } from '../../src/analysis/decode-image.js'
import { renderTeddyBearPixels } from '../../src/analysis/teddy-bear.js'
import { loadConfig } from '../../src/config/load-config.js'

/** The settings table's defaults, as loaded. */
const DEFAULTS = loadConfig({}, {}, '/').analysis

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')
const OPTIONS = {
  maxImagePixels: DEFAULTS.maxImagePixels,
  maxImageBytes: DEFAULTS.maxImageBytes,
  pixelTolerance: DEFAULTS.pixelTolerance,
  eventThreshold: DEFAULTS.eventThreshold,
}

async function decoded(name: string): Promise<Awaited<ReturnType<typeof decodeImage>>> {
  return decodeImage(await readFile(path.join(FIXTURES, name)), OPTIONS)
}

// F16 (issue 9): the same picture as RGB and as CMYK without an ICC profile must not be an event.
describe('one picture in two colour spaces', () => {
  for (const cmyk of ['teddy-96-cmyk-imagemagick.jpg', 'teddy-96-cmyk-imagemagick.tif']) {
    it(`is no event: RGB JPEG against ${cmyk} (ImageMagick, no ICC profile)`, async () => {
      const meta = await sharp(await readFile(path.join(FIXTURES, cmyk))).metadata()
      expect([meta.space, meta.icc]).toEqual(['cmyk', undefined])
      const pair = await analyzePair(await decoded('teddy-96-rgb-imagemagick.jpg'), await decoded(cmyk), OPTIONS)
      expect(pair.event).toBeNull()
      expect(pair.metrics.changedFraction).toBeLessThan(0.001)
    })
  }
})

/**
 * A baseline little-endian TIFF of raw CMYK samples, 8 or 16 bits (one strip, uncompressed,
 * PhotometricInterpretation 5 = separated, InkSet 1 = CMYK) and no ICC profile: sharp cannot be told to
 * take raw bytes as CMYK.
 */
function cmykTiff(width: number, height: number, cmyk: Uint8Array | Uint16Array): Buffer {
  const bits = cmyk instanceof Uint16Array ? 16 : 8
  const data = Buffer.alloc((cmyk.length * bits) / 8)
  cmyk.forEach((sample, index) => (bits === 16 ? data.writeUInt16LE(sample, index * 2) : data.writeUInt8(sample, index)))
  const entries: Array<[tag: number, type: 3 | 4, count: number, value: number]> = [
    [256, 3, 1, width],
    [257, 3, 1, height],
    [258, 3, 4, 0], // BitsPerSample: four values at an offset, filled in below
    [259, 3, 1, 1],
    [262, 3, 1, 5],
    [273, 4, 1, 0], // StripOffsets: filled in below
    [277, 3, 1, 4],
    [278, 3, 1, height],
    [279, 4, 1, data.length],
    [284, 3, 1, 1],
    [332, 3, 1, 1],
  ]
  const ifd = 8
  const bitsPerSample = ifd + 2 + entries.length * 12 + 4
  const pixels = bitsPerSample + 8
  const tiff = Buffer.alloc(pixels + data.length)
  tiff.write('II', 0, 'latin1')
  tiff.writeUInt16LE(42, 2)
  tiff.writeUInt32LE(ifd, 4)
  tiff.writeUInt16LE(entries.length, ifd)
  entries.forEach(([tag, type, count, value], index) => {
    const at = ifd + 2 + index * 12
    tiff.writeUInt16LE(tag, at)
    tiff.writeUInt16LE(type, at + 2)
    tiff.writeUInt32LE(count, at + 4)
    if (tag === 258) tiff.writeUInt32LE(bitsPerSample, at + 8)
    else if (tag === 273) tiff.writeUInt32LE(pixels, at + 8)
    else if (type === 3) tiff.writeUInt16LE(value, at + 8)
    else tiff.writeUInt32LE(value, at + 8)
  })
  for (let band = 0; band < 4; band += 1) tiff.writeUInt16LE(bits, bitsPerSample + 2 * band)
  data.copy(tiff, pixels)
  return tiff
}

/** The naive encoding: C = 255 − R, M = 255 − G, Y = 255 − B, K = 0. */
function naiveCmyk(rgb: Uint8Array): Uint8Array {
  const cmyk = new Uint8Array((rgb.length / 3) * 4)
  for (let pixel = 0; pixel < rgb.length / 3; pixel += 1) {
    for (let band = 0; band < 3; band += 1) cmyk[pixel * 4 + band] = 255 - rgb[pixel * 3 + band]!
  }
  return cmyk
}

/** The CMYK bytes of a file as stored, without any colour conversion. */
async function storedCmyk(bytes: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(bytes).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true })
  expect(info.channels).toBe(4)
  return data
}

// Issue 16, item 15: imgpipe reads CMYK without an ICC profile as device CMYK, R = (255 − C)(255 − K)/255.
describe('CMYK without an ICC profile is device CMYK; with one, its profile', () => {
  const size = 96
  async function picture(): Promise<{ rgb: Buffer; rgbJpeg: Buffer }> {
    const teddy = await renderTeddyBearPixels(size)
    // Saturated bars besides the teddy's soft colours: where the two readings of CMYK differ most.
    const rgb = Buffer.from(teddy.data)
    const bars = [
      [230, 30, 30],
      [30, 200, 40],
      [40, 60, 220],
      [250, 220, 20],
    ]
    for (let y = 0; y < 24; y += 1) {
      for (let x = 0; x < size; x += 1) rgb.set(bars[Math.floor(x / 24)]!, (y * size + x) * 3)
    }
    // 4:4:4: a CMYK JPEG keeps every band at full resolution, and halved chroma would blur the bars' edges.
    return {
      rgb,
      rgbJpeg: await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
        .jpeg({ quality: 92, chromaSubsampling: '4:4:4' })
        .toBuffer(),
    }
  }

  it('a naive CMYK JPEG (sharp-made, C = 255 − R …) is no event against the RGB JPEG of the same picture', async () => {
    const { rgb, rgbJpeg } = await picture()
    const naiveJpeg = await sharp(cmykTiff(size, size, naiveCmyk(rgb)))
      .pipelineColourspace('cmyk')
      .toColourspace('cmyk')
      .jpeg({ quality: 92 })
      .toBuffer()
    const meta = await sharp(naiveJpeg).metadata()
    expect([meta.format, meta.space, meta.icc]).toEqual(['jpeg', 'cmyk', undefined])
    const pair = await analyzePair(await decodeImage(rgbJpeg, OPTIONS), await decodeImage(naiveJpeg, OPTIONS), OPTIONS)
    expect(pair.event).toBeNull()
    expect(pair.metrics.changedFraction).toBe(0)
  })

  it('the naive CMYK TIFF decodes to the RGB pixels exactly', async () => {
    const { rgb } = await picture()
    const decoded = await decodeImage(cmykTiff(size, size, naiveCmyk(rgb)), OPTIONS)
    expect(Buffer.compare(Buffer.from(decoded.data), rgb)).toBe(0)
  })

  it('K darkens all three channels: (255 − C)(255 − K)/255, rounded', async () => {
    // white, 50 % black, cyan, cyan at 50 % black, full black ink with cyan
    const cmyk = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 128, 255, 0, 0, 0, 255, 0, 0, 128, 255, 255, 255, 255])
    const decoded = await decodeImage(cmykTiff(5, 1, cmyk), OPTIONS)
    expect([...decoded.data]).toEqual([255, 255, 255, 127, 127, 127, 0, 255, 255, 0, 127, 127, 0, 0, 0])
  })

  it('16-bit CMYK is scaled to 8 bits, not clipped', async () => {
    // white, cyan, 50 % black
    const cmyk = new Uint16Array([0, 0, 0, 0, 65535, 0, 0, 0, 0, 0, 0, 32768])
    expect((await sharp(cmykTiff(3, 1, cmyk)).metadata()).depth).toBe('ushort')
    const decoded = await decodeImage(cmykTiff(3, 1, cmyk), OPTIONS)
    expect([...decoded.data]).toEqual([255, 255, 255, 0, 255, 255, 127, 127, 127])
  })

  it('a CMYK JPEG with an ICC profile is converted through its profile, as libvips does', async () => {
    const { rgb } = await picture()
    const tagged = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
      .withIccProfile('cmyk')
      .jpeg({ quality: 92 })
      .toBuffer()
    const meta = await sharp(tagged).metadata()
    expect([meta.space, meta.icc === undefined]).toEqual(['cmyk', false])
    const throughProfile = await sharp(tagged).toColourspace('srgb').raw().toBuffer()
    const decoded = await decodeImage(tagged, OPTIONS)
    expect(Buffer.compare(Buffer.from(decoded.data), throughProfile)).toBe(0)
    // And the device reading would have been far off: the profile is what makes this file the picture.
    const device = await decodeImage(cmykTiff(size, size, await storedCmyk(tagged)), OPTIONS)
    const pair = await analyzePair(decoded, device, OPTIONS)
    expect(pair.metrics.changedFraction).toBeGreaterThan(0.05)
  })

  it('a CMYK JPEG made through a press profile whose profile was dropped reads as device CMYK (the file cannot say)', async () => {
    const { rgb, rgbJpeg } = await picture()
    // sharp's toColourspace('cmyk') converts through libvips' built-in press profile and writes no profile.
    const untagged = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg({ quality: 92 })
      .toBuffer()
    expect((await sharp(untagged).metadata()).icc).toBeUndefined()
    const decoded = await decodeImage(untagged, OPTIONS)
    const device = await decodeImage(cmykTiff(size, size, await storedCmyk(untagged)), OPTIONS)
    expect(Buffer.compare(Buffer.from(decoded.data), Buffer.from(device.data))).toBe(0)
    const pair = await analyzePair(await decodeImage(rgbJpeg, OPTIONS), decoded, OPTIONS)
    expect(pair.event).not.toBeNull()
  })
})
