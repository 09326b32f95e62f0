/**
 * `diffim`, the difference-imaging {@link Analyzer} (issue 18): a FITS science image with a WCS against its field's
 * reference → the image's measurements, the detections that passed the real-bogus cut (fakes never among them), the
 * run record (method, PSFs, fakes and their recovery), one event when anything was found, and the derivative images:
 * `difference.jpg` (zscale + asinh, what viewers and channels show), `difference.fits` and `noise.fits` (float32 with
 * the WCS), and per detection (at most `maxStamps`) three 63×63 float32 FITS stamps with PNG previews.
 *
 * This analyzer runs the pixel work on the calling thread; the analyze stage runs it in a worker pool instead
 * (stages/analyze/science-pool.ts), with the same results: both go through diffimProducts and encodeDiffimOutput.
 */
import sharp from 'sharp'
import { InternalError } from '../../core/errors.js'
import { isFloatPixels, type Analyzer, type AnalyzerInput, type AnalyzerOutput, type Derivative } from '../../core/ports/analyzer.js'
import { encodeJpeg } from '../difference-image.js'
import { diffimProducts, DIFFERENCE_PREVIEW, type DiffimOptions, type DiffimProducts, type DiffimRequest } from './diffim-products.js'
import type { PsfModel } from './psf-model.js'

export const DIFFIM_ANALYZER = { name: 'diffim', version: '1.0.0' } as const

const NOTHING_COMPARED = { l2Norm: null, changedFraction: null, maxAbsDifference: null }

export function diffimAnalyzer(options: DiffimOptions = {}): Analyzer {
  // The last reference's PSF: a stream analyses many images against one reference in a row.
  let cached: { referenceId: number; psf: PsfModel } | null = null
  return {
    ...DIFFIM_ANALYZER,
    async analyze(input: AnalyzerInput): Promise<AnalyzerOutput> {
      const request = diffimRequestOf(input, options)
      if (request === null) return { measurements: NOTHING_COMPARED, events: [], derivatives: [] }
      const referenceId = request.reference.referenceId
      const products = diffimProducts(cached?.referenceId === referenceId ? { ...request, referencePsf: cached.psf } : request)
      cached = { referenceId, psf: products.referencePsf }
      return encodeDiffimOutput(products)
    },
  }
}

/**
 * What the pixel work needs from an analyzer input; null when there is no reference (nothing to compare with).
 * Throws for an image difference imaging cannot take: 8-bit pixels, or no header to read a WCS from.
 */
export function diffimRequestOf(input: AnalyzerInput, options: DiffimOptions): DiffimRequest | null {
  const reference = input.reference
  if (reference === undefined || reference === null) return null
  const { pixels, record } = input.image
  if (!isFloatPixels(pixels)) throw new InternalError(`diffim: image ${record.imageId} has 8-bit pixels, not a science image's`)
  const header = record.observation?.header
  if (header === undefined) throw new InternalError(`diffim: image ${record.imageId} has no FITS header (observation)`)
  return {
    imageId: record.imageId,
    science: pixels,
    scienceHeader: header,
    reference: { referenceId: reference.referenceId, image: reference.image, noise: reference.noise, header: reference.header },
    options,
  }
}

/** The analyzer's output from the pixel work: previews encoded (sharp, off the event loop), derivatives in order. */
export async function encodeDiffimOutput(products: DiffimProducts): Promise<AnalyzerOutput> {
  const { measurements, detections, run } = products
  if (products.eventType === null) return { measurements, events: [], derivatives: [], detections, run }
  const encoded = await Promise.all(
    products.previews.map(async (raw): Promise<Derivative> => {
      const image = { width: raw.width, height: raw.height, channels: 3 as const, data: raw.rgb }
      const bytes =
        raw.format === 'jpeg' ? await encodeJpeg(image) : await sharp(raw.rgb, { raw: image }).png({ compressionLevel: 6 }).toBuffer()
      return {
        name: raw.name,
        bytes,
        contentType: raw.format === 'jpeg' ? 'image/jpeg' : 'image/png',
        ...(raw.detection === undefined ? {} : { detection: raw.detection }),
      }
    }),
  )
  const fits = products.fits.map((product): Derivative => ({
    name: product.name,
    bytes: Buffer.from(product.bytes.buffer, product.bytes.byteOffset, product.bytes.byteLength),
    contentType: 'application/fits',
    ...(product.detection === undefined ? {} : { detection: product.detection }),
  }))
  const whole = encoded.filter((d) => d.detection === undefined)
  const stamps = [...fits.filter((d) => d.detection !== undefined), ...encoded.filter((d) => d.detection !== undefined)].sort(
    (a, b) => a.detection! - b.detection!,
  )
  return {
    measurements,
    events: [{ eventType: products.eventType, derivative: DIFFERENCE_PREVIEW }],
    derivatives: [...whole, ...fits.filter((d) => d.detection === undefined), ...stamps],
    detections,
    run,
  }
}
