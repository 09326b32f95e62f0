/** The RGB preview: masked pixels, orientation, shrinking, and the degenerate images a pipeline meets. */
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { MASK_RGB, preview } from '../../../src/analysis/display/preview.js'
import { greyLevel, greyThresholds, stretchToGrey, stretchValue } from '../../../src/analysis/display/stretch.js'
import { zscale } from '../../../src/analysis/display/zscale.js'
import { floatImage } from '../../../src/analysis/float-image.js'

function rgbAt(p: ReturnType<typeof preview>, x: number, yFromTop: number): number[] {
  const at = (yFromTop * p.width + x) * 3
  return Array.from(p.data.subarray(at, at + 3))
}

describe('preview', () => {
  it('shows NaN pixels in the mask colour, distinct from every grey', () => {
    const image = floatImage(4, 3)
    image.data.set([0, 1, 2, 3, 4, 5, NaN, 7, 8, 9, 10, 11])
    const p = preview(image, { interval: { vmin: 0, vmax: 11 }, stretch: 'linear' })
    expect([p.width, p.height, p.channels, p.data.length]).toEqual([4, 3, 3, 36])
    // Pixel 6 is (x 2, FITS row 2), the middle row of the preview.
    expect(rgbAt(p, 2, 1)).toEqual([...MASK_RGB])
    expect(MASK_RGB[0] === MASK_RGB[1] && MASK_RGB[1] === MASK_RGB[2]).toBe(false)
    let masked = 0
    for (let i = 0; i < p.data.length; i += 3) if (p.data[i] !== p.data[i + 1] || p.data[i + 1] !== p.data[i + 2]) masked++
    expect(masked).toBe(1)
  })

  it('puts FITS row 1 at the bottom: the first data row is the last preview row', () => {
    const image = floatImage(2, 2)
    image.data.set([0, 0, 10, 10])
    const p = preview(image, { interval: { vmin: 0, vmax: 10 }, stretch: 'linear' })
    expect(rgbAt(p, 0, 0)).toEqual([255, 255, 255])
    expect(rgbAt(p, 1, 1)).toEqual([0, 0, 0])
  })

  it('maps the interval linearly to 0..255 with clipping, and asinh brightens the faint end', () => {
    const image = floatImage(5, 1)
    image.data.set([-5, 0, 2.5, 10, 50])
    const linear = preview(image, { interval: { vmin: 0, vmax: 10 }, stretch: 'linear' })
    expect([0, 1, 2, 3, 4].map((x) => rgbAt(linear, x, 0)[0])).toEqual([0, 0, 64, 255, 255])
    const asinh = preview(image, { interval: { vmin: 0, vmax: 10 }, stretch: 'asinh' })
    expect(rgbAt(asinh, 2, 0)[0]).toBe(Math.round(255 * stretchValue(0.25)))
    // A quarter of the way up the interval is above mid-grey with asinh (140), a quarter grey with linear (64).
    expect(rgbAt(asinh, 2, 0)[0]).toBe(140)
  })

  it('shrinks by the smallest integer factor that fits maxSize, averaging the finite pixels of each box', () => {
    const image = floatImage(10, 7)
    for (let y = 0; y < 7; y++) for (let x = 0; x < 10; x++) image.data[y * 10 + x] = x < 3 ? 100 : 0
    image.data[0] = NaN
    // Boxes (0..2, 0..2) hold 8 finite 100s and a NaN → mean 100; the whole box (9, 6) alone is NaN.
    image.data[6 * 10 + 9] = NaN
    const p = preview(image, { maxSize: 4, interval: { vmin: 0, vmax: 100 }, stretch: 'linear' })
    expect([p.factor, p.width, p.height]).toEqual([3, 4, 3])
    expect(rgbAt(p, 0, 2)).toEqual([255, 255, 255])
    expect(rgbAt(p, 1, 2)).toEqual([0, 0, 0])
    expect(rgbAt(p, 3, 0)).toEqual([...MASK_RGB])
    const mixed = floatImage(2, 1)
    mixed.data.set([0, 100])
    expect(rgbAt(preview(mixed, { maxSize: 1, interval: { vmin: 0, vmax: 100 }, stretch: 'linear' }), 0, 0)).toEqual([128, 128, 128])
  })

  it('shows a constant image mid-grey and an all-NaN image in the mask colour', () => {
    const constant = floatImage(3, 3, 42)
    expect(zscale(constant.data)).toEqual({ vmin: 42, vmax: 42 })
    const p = preview(constant)
    expect(new Set(p.data)).toEqual(new Set([128]))
    const empty = floatImage(2, 2, NaN)
    expect(zscale(empty.data)).toEqual({ vmin: 0, vmax: 0 })
    const q = preview(empty)
    for (let i = 0; i < 4; i++) expect(rgbAt(q, i % 2, i >> 1)).toEqual([...MASK_RGB])
  })

  it('is raw RGB that sharp encodes as PNG and decodes to the same bytes', async () => {
    const image = floatImage(37, 23)
    for (let i = 0; i < image.data.length; i++) image.data[i] = i % 7 === 0 ? NaN : Math.sin(i) * 100
    const p = preview(image, { maxSize: 20 })
    expect([p.width, p.height]).toEqual([19, 12])
    const png = await sharp(p.data, { raw: { width: p.width, height: p.height, channels: p.channels } })
      .png()
      .toBuffer()
    const decoded = await sharp(png).raw().toBuffer({ resolveWithObject: true })
    expect(decoded.info).toMatchObject({ width: 19, height: 12, channels: 3 })
    expect(Buffer.compare(decoded.data, Buffer.from(p.data))).toBe(0)
  })

  it('handles a single pixel and refuses maxSize 0', () => {
    const one = floatImage(1, 1, 5)
    expect(preview(one, { maxSize: 1 })).toMatchObject({ width: 1, height: 1, factor: 1 })
    expect(() => preview(one, { maxSize: 0 })).toThrow(RangeError)
  })
})

describe('grey levels', () => {
  it('the table lookup gives round(255·stretch) for every level boundary and between them', () => {
    for (const stretch of ['linear', 'asinh'] as const) {
      const interval = { vmin: -3, vmax: 1234.5 }
      const thresholds = greyThresholds(interval, { stretch })!
      const values = new Float64Array(20_000)
      for (let i = 0; i < values.length; i++) values[i] = -10 + (1250 * i) / values.length
      const { grey, mask } = stretchToGrey(values, interval, { stretch })
      let wrong = 0
      for (let i = 0; i < values.length; i++) {
        const t = (values[i]! - interval.vmin) / (interval.vmax - interval.vmin)
        const exact = 255 * stretchValue(t, { stretch })
        if (Math.abs(exact - Math.floor(exact) - 0.5) < 1e-9) continue
        if (grey[i] !== Math.round(exact) || greyLevel(thresholds, values[i]!) !== grey[i]) wrong++
      }
      expect(wrong, `${stretch}: values off their grey level`).toBe(0)
      expect(mask.every((m) => m === 0)).toBe(true)
    }
  })
})
