import { crc32 } from 'node:zlib'
import { deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { ImageTooLargeError, InvalidImageError } from '../../src/core/errors.js'
import { decodeImage, inspectImage, resizeRaw, sniffFormat } from '../../src/analysis/decode-image.js'
import type { RawImage } from '../../src/analysis/decode-image.js'
import { renderTeddyBear } from '../../src/analysis/teddy-bear.js'

const LIMITS = { maxImagePixels: 50_000_000, maxImageBytes: 100 * 1024 * 1024 }

/** 4x2 test card: red, green, blue, white / black, grey, yellow, cyan. */
const CARD = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 128, 128, 128, 255, 255, 0, 0, 255, 255])

function card(): sharp.Sharp {
  return sharp(CARD, { raw: { width: 4, height: 2, channels: 3 } })
}

/** Decodes and returns the error it rejects with. */
async function failure(bytes: Uint8Array, limits = LIMITS): Promise<Error & { code?: string; cause?: unknown }> {
  const error: unknown = await decodeImage(bytes, limits).then(
    () => new Error('decoded without error'),
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(Error)
  return error as Error & { code?: string }
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** A 68-byte PNG whose valid IHDR claims width x height RGB pixels; the IDAT holds one tiny row. */
function pngClaiming(width: number, height: number): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // colour type RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([
    signature,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(7))),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

function expectClose(actual: Uint8Array, expected: Uint8Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length)
  const worst = actual.reduce((max, value, index) => Math.max(max, Math.abs(value - expected[index]!)), 0)
  expect(worst).toBeLessThanOrEqual(tolerance)
}

describe('decodeImage', () => {
  it.each([
    ['png', () => card().png().toBuffer()],
    ['lossless webp', () => card().webp({ lossless: true }).toBuffer()],
    ['uncompressed tiff', () => card().tiff({ compression: 'none' }).toBuffer()],
    ['lzw tiff', () => card().tiff({ compression: 'lzw' }).toBuffer()],
    ['palette png', () => card().png({ palette: true }).toBuffer()],
    ['gif', () => card().gif().toBuffer()],
  ])('decodes a %s to the exact 8-bit RGB pixels', async (_name, encode) => {
    const image = await decodeImage(await encode(), LIMITS)
    expect(image).toMatchObject({ width: 4, height: 2, channels: 3 })
    expect([...image.data]).toEqual([...CARD])
  })

  it('decodes a JPEG to RGB close to the original', async () => {
    const grey = new Uint8Array(16 * 16 * 3).fill(200)
    const jpeg = await sharp(grey, { raw: { width: 16, height: 16, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer()
    const image = await decodeImage(jpeg, LIMITS)
    expect(image).toMatchObject({ width: 16, height: 16, channels: 3 })
    expectClose(image.data, grey, 2)
  })

  it('decodes the 350x350 teddy bear', async () => {
    const image = await decodeImage(await renderTeddyBear(), LIMITS)
    expect(image).toMatchObject({ width: 350, height: 350, channels: 3 })
    expect(image.data.length).toBe(350 * 350 * 3)
  })

  it('converts a grey image to three equal channels', async () => {
    const grey = Uint8Array.from([0, 50, 100, 255])
    const png = await sharp(grey, { raw: { width: 2, height: 2, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer()
    expect((await sharp(png).metadata()).channels).toBe(1)
    const image = await decodeImage(png, LIMITS)
    expect([...image.data]).toEqual([0, 0, 0, 50, 50, 50, 100, 100, 100, 255, 255, 255])
  })

  it('flattens alpha onto black', async () => {
    const rgba = Uint8Array.from([200, 100, 50, 255, 200, 100, 50, 0, 255, 255, 255, 51])
    const png = await sharp(rgba, { raw: { width: 3, height: 1, channels: 4 } })
      .png()
      .toBuffer()
    const image = await decodeImage(png, LIMITS)
    // Opaque unchanged; transparent black; 20 % white over black is 51.
    expect([...image.data]).toEqual([200, 100, 50, 0, 0, 0, 51, 51, 51])
  })

  it('reduces a 16-bit PNG to 8 bits per channel', async () => {
    const png16 = await card().toColourspace('rgb16').png().toBuffer()
    expect((await sharp(png16).metadata()).depth).toBe('ushort')
    const image = await decodeImage(png16, LIMITS)
    expect([...image.data]).toEqual([...CARD])
  })

  it('converts a CMYK JPEG to sRGB', async () => {
    const red = new Uint8Array(8 * 8 * 3).map((_, index) => (index % 3 === 0 ? 220 : 30))
    const cmyk = await sharp(red, { raw: { width: 8, height: 8, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer()
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk')
    const image = await decodeImage(cmyk, LIMITS)
    expect(image.channels).toBe(3)
    expect(image.data.length).toBe(8 * 8 * 3)
    const [r, g, b] = image.data
    expect(r).toBeGreaterThan(150)
    expect(g).toBeLessThan(90)
    expect(b).toBeLessThan(90)
  })

  it('applies the EXIF orientation', async () => {
    const jpeg = await card().jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer()
    const image = await decodeImage(jpeg, LIMITS)
    expect([image.width, image.height]).toEqual([2, 4])
    expect(await inspectImage(jpeg, LIMITS)).toEqual({ format: 'jpeg', width: 2, height: 4 })
  })

  it('rejects an empty buffer', async () => {
    const error = await failure(new Uint8Array(0))
    expect(error).toBeInstanceOf(InvalidImageError)
    expect(error.message).toBe('image is empty (0 bytes)')
  })

  it('rejects random bytes and text as "not an image", with sharp\'s error as cause', async () => {
    const random = Uint8Array.from({ length: 1000 }, (_, index) => (index * 7919 + 13) % 251)
    for (const bytes of [random, Buffer.from('date,value\n2024-01-01,3\nThis is a text file, not a picture.\n')]) {
      const error = await failure(bytes)
      expect(error).toBeInstanceOf(InvalidImageError)
      expect(error.code).toBe('IMGPIPE_IMAGE_INVALID')
      expect(error.message).toMatch(/^not an image: the bytes match no supported format/)
      expect(error.cause).toBeInstanceOf(Error)
    }
  })

  it('rejects an SVG as an unsupported format', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')
    const error = await failure(svg)
    expect(error).toBeInstanceOf(InvalidImageError)
    expect(error.message).toMatch(/^unsupported image format "svg"/)
  })

  it('rejects a truncated JPEG', async () => {
    const jpeg = await renderTeddyBear()
    for (const length of [Math.floor(jpeg.length / 2), jpeg.length - 2]) {
      const error = await failure(jpeg.subarray(0, length))
      expect(error).toBeInstanceOf(InvalidImageError)
      expect(error.message).toMatch(/^truncated or corrupt JPEG image/)
      expect(error.cause).toBeInstanceOf(Error)
    }
  })

  it('rejects a truncated PNG', async () => {
    const png = await sharp(await renderTeddyBear())
      .png()
      .toBuffer()
    for (const length of [Math.floor(png.length / 2), 100]) {
      const error = await failure(png.subarray(0, length))
      expect(error).toBeInstanceOf(InvalidImageError)
      expect(error.message).toMatch(/^truncated or corrupt PNG image/)
    }
  })

  it('names the format of a file whose header is cut off (TIFF, WebP, GIF)', async () => {
    const teddy = await renderTeddyBear()
    const cases = [
      ['TIFF', await sharp(teddy).tiff({ compression: 'lzw' }).toBuffer()],
      ['WebP', await sharp(teddy).webp().toBuffer()],
      ['GIF', await sharp(teddy).gif().toBuffer()],
    ] as const
    for (const [name, bytes] of cases) {
      const error = await failure(bytes.subarray(0, Math.floor(bytes.length / 2)))
      expect(error).toBeInstanceOf(InvalidImageError)
      expect(error.message).toMatch(new RegExp(`^(corrupt or truncated|truncated or corrupt|corrupt) ${name} image`))
    }
  })

  it('rejects a JPEG whose compressed data is overwritten (garbage would otherwise decode silently)', async () => {
    const jpeg = Buffer.from(await renderTeddyBear())
    for (let index = 4000; index < 4400; index += 1) jpeg[index] = (index * 7) & 0xff
    const error = await failure(jpeg)
    expect(error).toBeInstanceOf(InvalidImageError)
    expect(error.message).toMatch(/corrupt JPEG image/)
  })

  it('rejects a decompression bomb from its header, before decoding', async () => {
    const bomb = pngClaiming(100_000, 100_000)
    expect(bomb.length).toBeLessThan(100)
    const error = await failure(bomb)
    expect(error).toBeInstanceOf(ImageTooLargeError)
    expect(error.code).toBe('IMGPIPE_IMAGE_TOO_LARGE')
    expect(error.message).toBe('PNG image claims 100000x100000 = 10000000000 pixels, over the limit of 50000000 (rejected before decoding)')
    await expect(inspectImage(bomb, LIMITS)).rejects.toBeInstanceOf(ImageTooLargeError)
  })

  it('accepts an image of exactly maxImagePixels and rejects one pixel more', async () => {
    const png = await card().png().toBuffer()
    await expect(decodeImage(png, { ...LIMITS, maxImagePixels: 8 })).resolves.toMatchObject({ width: 4 })
    const error = await failure(png, { ...LIMITS, maxImagePixels: 7 })
    expect(error).toBeInstanceOf(ImageTooLargeError)
  })

  it('rejects a file over maxImageBytes before looking at it', async () => {
    const png = await card().png().toBuffer()
    const error = await failure(png, { ...LIMITS, maxImageBytes: png.length - 1 })
    expect(error).toBeInstanceOf(ImageTooLargeError)
    expect(error.message).toBe(`image file is ${png.length} bytes, over the limit of ${png.length - 1} bytes`)
    await expect(decodeImage(png, { ...LIMITS, maxImageBytes: png.length })).resolves.toMatchObject({ width: 4 })
    // Even random bytes are "too large" first: the size is checked before the format.
    expect(await failure(new Uint8Array(10), { ...LIMITS, maxImageBytes: 9 })).toBeInstanceOf(ImageTooLargeError)
  })
})

describe('inspectImage', () => {
  it.each([
    ['jpeg', () => card().jpeg().toBuffer()],
    ['png', () => card().png().toBuffer()],
    ['tiff', () => card().tiff().toBuffer()],
    ['webp', () => card().webp().toBuffer()],
    ['gif', () => card().gif().toBuffer()],
    ['avif', () => card().avif().toBuffer()],
  ])('reports format %s and size', async (format, encode) => {
    expect(await inspectImage(await encode(), LIMITS)).toEqual({ format, width: 4, height: 2 })
  })

  it('fully validates: a truncated image with an intact header is rejected', async () => {
    const jpeg = await renderTeddyBear()
    expect((await sharp(jpeg.subarray(0, 5000)).metadata()).width).toBe(350)
    await expect(inspectImage(jpeg.subarray(0, 5000), LIMITS)).rejects.toBeInstanceOf(InvalidImageError)
  })

  it('accepts the whole AnalysisConfig as limits, whatever its other fields', async () => {
    const config = { ...LIMITS, eventThreshold: 0, pixelTolerance: 0 }
    expect(await inspectImage(await card().png().toBuffer(), config)).toEqual({ format: 'png', width: 4, height: 2 })
  })
})

describe('sniffFormat', () => {
  it('recognises the magic numbers of the supported formats', async () => {
    const formats = ['jpeg', 'png', 'gif', 'webp', 'tiff', 'avif'] as const
    for (const format of formats) {
      expect(sniffFormat(await card().toFormat(format).toBuffer())).toBe(format)
    }
    expect(sniffFormat(await card().tiff({ bigtiff: false }).toBuffer())).toBe('tiff')
    expect(sniffFormat(Buffer.from('MM\u0000*'))).toBe('tiff')
    expect(sniffFormat(Buffer.from('hello'))).toBeUndefined()
    expect(sniffFormat(new Uint8Array(0))).toBeUndefined()
  })
})

describe('resizeRaw', () => {
  it('stretches to the exact requested size, keeping a uniform colour exact', async () => {
    const uniform: RawImage = { width: 4, height: 4, channels: 3, data: new Uint8Array(48).map((_, index) => [10, 120, 240][index % 3]!) }
    const resized = await resizeRaw(uniform, 7, 3)
    expect(resized).toMatchObject({ width: 7, height: 3, channels: 3 })
    expect(resized.data.length).toBe(7 * 3 * 3)
    for (let index = 0; index < resized.data.length; index += 3) {
      expect([...resized.data.subarray(index, index + 3)]).toEqual([10, 120, 240])
    }
  })

  it('keeps left and right halves in place when shrinking', async () => {
    const row = [...Array(4).fill([255, 0, 0]), ...Array(4).fill([0, 0, 255])].flat() as number[]
    const halves: RawImage = { width: 8, height: 2, channels: 3, data: Uint8Array.from([...row, ...row]) }
    const resized = await resizeRaw(halves, 4, 2)
    expect([...resized.data.subarray(0, 3)]).toEqual([255, 0, 0])
    expect([...resized.data.subarray(9, 12)]).toEqual([0, 0, 255])
  })

  it('rejects a size that is not a positive integer', async () => {
    const image: RawImage = { width: 1, height: 1, channels: 3, data: new Uint8Array(3) }
    await expect(resizeRaw(image, 0, 1)).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
    await expect(resizeRaw(image, 1, 1.5)).rejects.toMatchObject({ code: 'IMGPIPE_INTERNAL' })
  })
})
