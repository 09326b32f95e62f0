/**
 * An 8-bit RGB preview of a float image, for sharp to encode (thumbnails, the web viewer, the terminal viewer):
 * zscale interval (or one given), linear or asinh stretch, grey levels, and masked (NaN) pixels in MASK_RGB — dark
 * blue, which no grey level can be mistaken for. Larger images are shrunk by an integer factor to fit `maxSize`,
 * each preview pixel the mean of the finite pixels of its box (masked only when its whole box is).
 * Rows come out top first with FITS row 1 at the bottom, the orientation of ds9 and of astropy's
 * imshow(origin='lower'): north is up for the usual WCS.
 */
import type { FloatImage } from '../float-image.js'
import { greyOf, greyTable, type GreyTable, type StretchOptions } from './stretch.js'
import { zscale, type DisplayInterval, type ZScaleOptions } from './zscale.js'

/** The colour of masked pixels: dark blue (CSS `darkblue`, #00008b). */
export const MASK_RGB: readonly [number, number, number] = [0x00, 0x00, 0x8b]

export interface PreviewOptions extends StretchOptions {
  /** The longest side of the preview in pixels; the image is shrunk by the smallest integer factor that fits. */
  maxSize?: number
  /** The pixel values shown black and white; zscale of the image when absent. */
  interval?: DisplayInterval
  zscale?: ZScaleOptions
}

export interface Preview {
  width: number
  height: number
  channels: 3
  /** RGB bytes, row-major, top row first. */
  data: Uint8Array
  /** The interval used (zscale's unless given). */
  interval: DisplayInterval
  /** The shrink factor: one preview pixel is factor × factor image pixels. */
  factor: number
}

export function preview(image: FloatImage, options: PreviewOptions = {}): Preview {
  const { width, height, data } = image
  const interval = options.interval ?? zscale(data, options.zscale)
  const maxSize = options.maxSize ?? Math.max(width, height)
  if (!(maxSize >= 1)) throw new RangeError(`maxSize must be at least 1, not ${maxSize}`)
  const factor = Math.max(1, Math.ceil(Math.max(width, height) / maxSize))
  const outWidth = Math.ceil(width / factor)
  const outHeight = Math.ceil(height / factor)
  const table = greyTable(interval, options)
  const rgb = new Uint8Array(outWidth * outHeight * 3)
  const sums = new Float64Array(outWidth)
  const counts = new Int32Array(outWidth)

  if (factor === 1 && table !== undefined) {
    paintFullSize(data, width, height, table, rgb)
    return { width, height, channels: 3, data: rgb, interval, factor }
  }
  for (let oy = 0; oy < outHeight; oy++) {
    let row: ArrayLike<number>
    if (factor === 1) row = data.subarray(oy * width, (oy + 1) * width)
    else {
      sums.fill(0)
      counts.fill(0)
      const yEnd = Math.min(height, (oy + 1) * factor)
      for (let y = oy * factor; y < yEnd; y++) {
        const base = y * width
        for (let ox = 0; ox < outWidth; ox++) {
          const xEnd = Math.min(width, (ox + 1) * factor)
          let sum = 0
          let count = 0
          for (let x = ox * factor; x < xEnd; x++) {
            const value = data[base + x]!
            // NaN fails the comparison: masked pixels drop out of the mean.
            if (value === value) {
              sum += value
              count++
            }
          }
          sums[ox]! += sum
          counts[ox]! += count
        }
      }
      for (let ox = 0; ox < outWidth; ox++) sums[ox] = counts[ox] === 0 ? NaN : sums[ox]! / counts[ox]!
      row = sums
    }
    // FITS row 1 at the bottom.
    let at = (outHeight - 1 - oy) * outWidth * 3
    for (let ox = 0; ox < outWidth; ox++, at += 3) {
      const value = row[ox]!
      if (value !== value) {
        rgb[at] = MASK_RGB[0]
        rgb[at + 1] = MASK_RGB[1]
        rgb[at + 2] = MASK_RGB[2]
        continue
      }
      const grey = table === undefined ? 128 : greyOf(table, value)
      rgb[at] = grey
      rgb[at + 1] = grey
      rgb[at + 2] = grey
    }
  }
  return { width: outWidth, height: outHeight, channels: 3, data: rgb, interval, factor }
}

/** The unshrunk preview, greyOf inlined in one loop over the float32 pixels: the hot path of a 4096² preview. */
function paintFullSize(data: Float32Array, width: number, height: number, table: GreyTable, rgb: Uint8Array): void {
  const { vmin, scale, bins, first, upper } = table
  const [maskR, maskG, maskB] = MASK_RGB
  for (let y = 0; y < height; y++) {
    let source = y * width
    let at = (height - 1 - y) * width * 3
    for (let x = 0; x < width; x++, source++, at += 3) {
      const value = data[source]!
      if (value !== value) {
        rgb[at] = maskR
        rgb[at + 1] = maskG
        rgb[at + 2] = maskB
        continue
      }
      const bin = (value - vmin) * scale
      let level = 0
      if (bin >= bins) level = 255
      else if (bin >= 0) {
        level = first[bin | 0]!
        while (value >= upper[level + 1]!) level++
      }
      rgb[at] = level
      rgb[at + 1] = level
      rgb[at + 2] = level
    }
  }
}
