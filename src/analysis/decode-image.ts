import v8 from 'node:v8'
import vm from 'node:vm'
import sharp from 'sharp'
import type { Metadata, SharpOptions } from 'sharp'
import { ImageTooLargeError, type ImgpipeError, InternalError, InvalidImageError, isImgpipeError } from '../core/errors.js'
import type { PixelHandOver } from './inspected-pixels.js'

// sharp's operation cache serves programs that re-read the same files; the pipeline never does, and with it
// on, decoding a 350×350 JPEG measured 5.4 ms instead of 3.6 ms. Set here, where every pipeline process that
// touches pixels passes, rather than in one entry point.
sharp.cache(false)

/**
 * Reading untrusted image bytes safely: every check that can be made from the header (size, format,
 * pixel count) is made before any pixel is decoded, and a full decode then proves the data is complete.
 *
 * Strictness: sharp's `failOn: 'warning'`. Measured with sharp 0.34.5: 'truncated' and 'error' catch a
 * truncated JPEG, PNG or GIF, but a JPEG whose entropy-coded data is overwritten decodes silently into
 * garbage unless warnings fail too, and garbage pixels would raise a false image event. The cost is that
 * a JPEG with libjpeg's benign "extraneous bytes before marker" warning is rejected as corrupt (it is
 * kept in the catalog as a failed image with the reason, not lost). Trailing bytes after the end of a
 * JPEG or PNG are accepted.
 */

/** Decoded pixels: 8-bit sRGB, 3 interleaved channels, row-major, no padding. */
export interface RawImage {
  width: number
  height: number
  channels: 3
  data: Uint8Array
}

/** Limits applied to every incoming image (from `AnalysisOptions`). */
export interface ImageLimits {
  /** Largest accepted width × height, checked from the header before decoding. */
  maxImagePixels: number
  /** Largest accepted file size in bytes. */
  maxImageBytes: number
}

/** What {@link inspectImage} learns about a valid image. */
export interface ImageInfo {
  /** Lower-case format name as in `NewImage.format`: jpeg, png, webp, tiff, gif, avif. */
  format: string
  /** Size after applying the EXIF orientation, i.e. as the image is displayed and analysed. */
  width: number
  height: number
}

/** Formats accepted on input. SVG is refused: it is not a captured image and rasterising untrusted SVG is a risk. */
export const SUPPORTED_FORMATS: readonly string[] = ['jpeg', 'png', 'webp', 'tiff', 'gif', 'avif']

const SUPPORTED_LIST = 'JPEG, PNG, WebP, TIFF, GIF, AVIF'

function decodeOptions(limits: ImageLimits): SharpOptions {
  // autoOrient: a phone or camera JPEG is compared as it is displayed, not as its sensor stored it.
  return { failOn: 'warning', limitInputPixels: limits.maxImagePixels, autoOrient: true }
}

function checkLimits(limits: ImageLimits): void {
  // Callers pass the whole AnalysisOptions, so only these two fields are ours to check.
  for (const name of ['maxImagePixels', 'maxImageBytes'] as const) {
    const value = limits[name]
    if (typeof value !== 'number' || !(value >= 1)) throw new InternalError(`image limit ${name} must be a positive number, got ${value}`)
  }
}

/** The format name we report: sharp calls AVIF "heif"; HEVC-coded HEIF is not decodable by sharp's build. */
function formatOf(metadata: Metadata): string {
  if (metadata.format === 'heif') return metadata.compression === 'av1' ? 'avif' : 'heic'
  return metadata.format
}

const FORMAT_NAMES: Record<string, string> = { webp: 'WebP' }

function describeFormat(format: string | undefined): string {
  return format === undefined ? 'image' : `${FORMAT_NAMES[format] ?? format.toUpperCase()} image`
}

/**
 * Maps a sharp/libvips error to one of ours. sharp has no error codes, so this matches the messages of
 * the loaders it bundles; anything unrecognised is reported as corrupt data, which is never retried.
 */
function toImageError(error: unknown, format: string | undefined): ImgpipeError {
  if (isImgpipeError(error)) return error
  const text = error instanceof Error ? error.message : String(error)
  const what = describeFormat(format)
  if (/unsupported image format/i.test(text)) {
    if (format !== undefined) return new InvalidImageError(`corrupt or truncated ${what}: its header cannot be read`, { cause: error })
    return new InvalidImageError(`not an image: the bytes match no supported format (${SUPPORTED_LIST})`, { cause: error })
  }
  if (/exceeds pixel limit/i.test(text)) {
    return new ImageTooLargeError(`${what} has more pixels than the limit`, { cause: error })
  }
  // libjpeg says "premature end of data segment" for damaged data inside a complete file.
  if (/corrupt JPEG data/i.test(text)) return new InvalidImageError(`corrupt ${what}: its compressed data is damaged`, { cause: error })
  if (/premature end|end of stream|unexpected end|truncat|end of file|read error/i.test(text)) {
    return new InvalidImageError(`truncated or corrupt ${what}: the data ends or breaks off before the image is complete`, { cause: error })
  }
  if (/corrupt header/i.test(text)) return new InvalidImageError(`corrupt ${what}: its header cannot be read`, { cause: error })
  return new InvalidImageError(`${what} cannot be decoded: its data is corrupt or uses a feature that is not supported`, { cause: error })
}

function startsWith(bytes: Uint8Array, offset: number, signature: string): boolean {
  if (bytes.length < offset + signature.length) return false
  for (let index = 0; index < signature.length; index += 1) {
    if (bytes[offset + index] !== signature.charCodeAt(index)) return false
  }
  return true
}

/**
 * The format a file claims by its magic number, only to word errors: sharp reports a TIFF whose
 * directory was cut off as "unsupported format", but the user should hear "corrupt TIFF".
 */
export function sniffFormat(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, 0, '\xff\xd8\xff')) return 'jpeg'
  if (startsWith(bytes, 0, '\x89PNG\r\n\x1a\n')) return 'png'
  if (startsWith(bytes, 0, 'GIF87a') || startsWith(bytes, 0, 'GIF89a')) return 'gif'
  if (startsWith(bytes, 0, 'RIFF') && startsWith(bytes, 8, 'WEBP')) return 'webp'
  if (startsWith(bytes, 0, 'II*\x00') || startsWith(bytes, 0, 'MM\x00*')) return 'tiff'
  if (startsWith(bytes, 4, 'ftypavif') || startsWith(bytes, 4, 'ftypavis')) return 'avif'
  return undefined
}

/** The header facts, and whether the pixels are CMYK without an ICC profile (see {@link decodeUntaggedCmyk}). */
interface Header {
  info: ImageInfo
  untaggedCmyk: boolean
  depth: Metadata['depth']
}

/** Checks everything that can be checked without decoding pixels; returns the header facts. */
async function readHeader(bytes: Uint8Array, limits: ImageLimits): Promise<Header> {
  checkLimits(limits)
  if (bytes.byteLength === 0) throw new InvalidImageError('image is empty (0 bytes)')
  if (bytes.byteLength > limits.maxImageBytes) {
    throw new ImageTooLargeError(`image file is ${bytes.byteLength} bytes, over the limit of ${limits.maxImageBytes} bytes`)
  }
  let metadata: Metadata
  try {
    // The pixel limit is checked just below with the dimensions in the message; reading a header
    // allocates nothing in proportion to them.
    metadata = await sharp(bytes, { failOn: 'warning', limitInputPixels: false }).metadata()
  } catch (error) {
    throw toImageError(error, sniffFormat(bytes))
  }
  const format = formatOf(metadata)
  if (!SUPPORTED_FORMATS.includes(format)) {
    throw new InvalidImageError(`unsupported image format "${format}" (supported: ${SUPPORTED_LIST})`)
  }
  // Multi-page files (GIF, TIFF) are read as their first page only, and `height` is that page's height.
  const width = metadata.autoOrient.width
  const height = metadata.autoOrient.height
  if (!(width > 0 && height > 0)) throw new InvalidImageError(`corrupt ${describeFormat(format)}: its header gives no size`)
  const pixels = width * height
  if (pixels > limits.maxImagePixels) {
    throw new ImageTooLargeError(
      `${describeFormat(format)} claims ${width}x${height} = ${pixels} pixels, over the limit of ${limits.maxImagePixels} (rejected before decoding)`,
    )
  }
  return { info: { format, width, height }, untaggedCmyk: metadata.space === 'cmyk' && metadata.icc === undefined, depth: metadata.depth }
}

/** Above this many pixels (48 MB decoded) a decode first collects garbage; see {@link collectGarbage}. */
const COLLECT_BEFORE_PIXELS = 16_000_000

let gc: (() => void) | undefined

/**
 * Frees the pixel buffers of earlier images now. V8 collects a buffer sharp handed over only when its
 * accounted external memory has grown enough since the last collection, and the decode that follows is
 * invisible to it until it returns: a dead 147 MB buffer of the previous comparison outlived the next
 * 7000×7000 decode and set the peak (647 MB instead of 525 MB, ingest of ten such PNGs). A full
 * collection of a pipeline's small heap takes a few milliseconds, so this is done only before large decodes.
 */
function collectGarbage(): void {
  try {
    if (gc === undefined) {
      v8.setFlagsFromString('--expose-gc')
      gc = vm.runInNewContext('gc') as () => void
    }
    gc()
  } catch {
    // Only a memory optimisation: a runtime without it decodes all the same.
    gc = () => undefined
  }
}

/**
 * CMYK without an ICC profile is read as device CMYK, R = (255 − C)(255 − K) / 255 and likewise G from M
 * and B from Y: what Chromium and Firefox show for such a file, and how ImageMagick (`-colorspace CMYK`),
 * Pillow and any `C = 255 − R` encoder write one, so that file and the RGB picture it came from compare
 * equal. libvips would instead assume its built-in press profile, and a naive file then differed from its
 * RGB original in 41 % of the pixels (issue 16; 12.5 % in test/analysis/colour-spaces.test.ts). The cost: CMYK converted through a press profile whose
 * profile was then dropped (sharp's `toColourspace('cmyk')` does that) reads differently from its source —
 * the file does not say which conversion made it, so one reading has to be chosen. CMYK with a profile is
 * converted through it, as before. See the README's "Colour" section.
 *
 * In libvips: the CMYK bands kept as they are (`pipelineColourspace('cmyk')`) and inverted, then 255 − K
 * used as the alpha of 255 − C, 255 − M, 255 − Y and flattened onto black, which is exactly that product.
 * (sharp orders its operations itself, flatten before linear, hence two pipelines.)
 */
async function decodeUntaggedCmyk(
  bytes: Uint8Array,
  limits: ImageLimits,
  depth: Metadata['depth'],
): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
  // Inverted by `linear` rather than `negate`, which would leave 16-bit samples 16-bit for the cast to clip.
  const max = depth === 'ushort' ? 65535 : 255
  const inverted = await sharp(bytes, decodeOptions(limits))
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .removeAlpha()
    .linear(-255 / max, 255)
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
  const { width, height, channels } = inverted.info
  if (channels !== 4) throw new InvalidImageError(`CMYK image decoded to ${channels} channels instead of 4`)
  return sharp(inverted.data, { raw: { width, height, channels: 4 }, limitInputPixels: limits.maxImagePixels })
    .flatten({ background: { r: 0, g: 0, b: 0 } })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
}

async function decodeWithHeader(bytes: Uint8Array, limits: ImageLimits): Promise<{ info: ImageInfo; image: RawImage }> {
  const { info, untaggedCmyk, depth } = await readHeader(bytes, limits)
  if (info.width * info.height > COLLECT_BEFORE_PIXELS) collectGarbage()
  try {
    // Black is what dropping the alpha channel would give for the usual transparent pixels (0,0,0,0),
    // and it is sharp's default; toColourspace converts grey, CMYK with an ICC profile, palette and
    // 16-bit images, and raw uchar forces 8 bits per channel.
    const { data, info: out } = untaggedCmyk
      ? await decodeUntaggedCmyk(bytes, limits, depth)
      : await sharp(bytes, decodeOptions(limits))
          .flatten({ background: { r: 0, g: 0, b: 0 } })
          .toColourspace('srgb')
          .raw({ depth: 'uchar' })
          .toBuffer({ resolveWithObject: true })
    if (out.channels !== 3) throw new InvalidImageError(`${describeFormat(info.format)} decoded to ${out.channels} channels instead of 3`)
    return { info, image: { width: out.width, height: out.height, channels: 3, data } }
  } catch (error) {
    throw toImageError(error, info.format)
  }
}

/**
 * Fully validates an incoming image: not empty, within `maxImageBytes`, a supported format, within
 * `maxImagePixels` according to its header (checked before decoding, so a decompression bomb costs
 * nothing), and decodable to the last pixel. Throws `InvalidImageError` or `ImageTooLargeError`. `handOver`: where
 * the pixels a full decode produced go, for an analyze stage of the same process (see InspectedPixels).
 */
export async function inspectImage(bytes: Uint8Array, limits: ImageLimits, handOver?: PixelHandOver): Promise<ImageInfo> {
  const { info } = await readHeader(bytes, limits)
  // A full decode is the check that never lets a truncated image through; only large images, whose decode
  // would dominate memory, are checked by streaming instead.
  if (info.width * info.height <= COLLECT_BEFORE_PIXELS) {
    const decoded = await decodeWithHeader(bytes, limits)
    // Same bytes, same limits, same decode as decodeImage: an analyze stage in this process may use them.
    handOver?.offer(bytes, decoded.image)
    return decoded.info
  }
  try {
    // stats() reads every pixel through the same loader and strictness as a decode, but streams them into
    // per-channel sums instead of one buffer: 30 MB instead of 160 MB for a 7000×7000 PNG.
    await sharp(bytes, decodeOptions(limits)).stats()
  } catch (error) {
    throw toImageError(error, info.format)
  }
  return info
}

/**
 * Decodes an image with the checks of {@link inspectImage} to 8-bit sRGB with 3 channels: EXIF
 * orientation applied, alpha flattened onto black, grey/CMYK/palette/16-bit converted (CMYK without an ICC
 * profile as device CMYK, see {@link decodeUntaggedCmyk}), first page only.
 */
export async function decodeImage(bytes: Uint8Array, limits: ImageLimits): Promise<RawImage> {
  const { image } = await decodeWithHeader(bytes, limits)
  return image
}

/** Resizes to exactly `width`×`height` (stretching if the aspect ratio differs), staying 8-bit RGB. */
export async function resizeRaw(image: RawImage, width: number, height: number): Promise<RawImage> {
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new InternalError(`resize ${name} must be a positive integer, got ${value}`)
  }
  assertRawImage(image)
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, channels: 3, data }
}

/** Throws when `data` does not hold exactly width × height × 3 bytes: a bug upstream, never bad input. */
export function assertRawImage(image: RawImage): void {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
    throw new InternalError(`raw image has an invalid size ${image.width}x${image.height}`)
  }
  if (image.channels !== 3 || image.data.length !== image.width * image.height * 3) {
    throw new InternalError(
      `raw image ${image.width}x${image.height}x${image.channels} holds ${image.data.length} bytes instead of ${image.width * image.height * 3}`,
    )
  }
}
