/**
 * A reference (template) as a file: what `imgpipe reference build` stores and `reference set` takes. FITS, so any
 * astronomer's tool opens it: the primary HDU is the background-subtracted reference with its WCS and the cards
 * FWHM (its PSF, pixels) and NFRAMES (frames stacked); an IMAGE extension `NOISE` holds σ per pixel on the same grid.
 * Both float32 (BITPIX −32): NaN marks masked pixels, as in the analysis.
 */
import { InternalError } from '../../core/errors.js'
import type { AnalyzerReference } from '../../core/ports/analyzer.js'
import { parseHeader, formatHeader } from '../fits/fits-header.js'
import type { HeaderCard } from '../fits/header-card.js'
import { headerLookup } from '../fits/header-card.js'
import { readFits } from '../fits/fits-reader.js'
import { writeFits } from '../fits/fits-writer.js'
import type { FloatImage } from '../float-image.js'
import type { BuiltReference } from './build-reference.js'
import { headerTextOf } from './header-text.js'

export const NOISE_EXTENSION = 'NOISE'

/** Cards the file owns: a frame's own are dropped so the file says what it is, not what its first frame was. */
const OWN = new Set(['FWHM', 'NFRAMES', 'EXTEND', 'EXTNAME', 'XTENSION', 'PCOUNT', 'GCOUNT'])

/** The reference as FITS bytes. */
export function encodeReferenceFile(reference: BuiltReference): Uint8Array {
  const cards: HeaderCard[] = [
    { keyword: 'EXTEND', value: true, comment: 'the NOISE extension follows' },
    { keyword: 'FWHM', value: reference.psf.fwhm, comment: '[pixel] PSF FWHM measured on the reference' },
    { keyword: 'NFRAMES', value: reference.frames, comment: 'frames stacked into the reference' },
    ...reference.cards.filter((card) => !OWN.has(card.keyword)),
  ]
  const primary = writeFits(reference.image, cards)
  const noise = extension(reference.noise, NOISE_EXTENSION, [{ keyword: 'BUNIT', value: 'ADU', comment: 'sigma per pixel' }])
  const out = new Uint8Array(primary.length + noise.length)
  out.set(primary)
  out.set(noise, primary.length)
  return out
}

/** An IMAGE extension: writeFits's data unit under an XTENSION header (FITS Standard 4.0, §7.1). */
function extension(image: FloatImage, name: string, cards: readonly HeaderCard[]): Uint8Array {
  const alone = writeFits(image)
  const { size } = parseHeader(alone, 0)
  const head = formatHeader([
    { keyword: 'XTENSION', value: 'IMAGE', comment: 'image extension' },
    { keyword: 'BITPIX', value: -32, comment: 'IEEE single precision floating point' },
    { keyword: 'NAXIS', value: 2 },
    { keyword: 'NAXIS1', value: image.width },
    { keyword: 'NAXIS2', value: image.height },
    { keyword: 'PCOUNT', value: 0 },
    { keyword: 'GCOUNT', value: 1 },
    { keyword: 'EXTNAME', value: name },
    ...cards,
  ])
  const out = new Uint8Array(head.length + alone.length - size)
  out.set(head)
  out.set(alone.subarray(size), head.length)
  return out
}

export interface ReferenceFile extends AnalyzerReference {
  /** The PSF FWHM the file records, pixels. */
  readonly fwhm: number
  readonly frames: number
}

/** A reference file read back; `maxPixels` bounds each HDU as the reader's limit does. */
export function decodeReferenceFile(bytes: Uint8Array, referenceId: number, maxPixels: number): ReferenceFile {
  const primary = readFits(bytes, { hdu: 0, maxPixels })
  const noise = readFits(bytes, { hdu: NOISE_EXTENSION, maxPixels })
  if (noise.image.width !== primary.image.width || noise.image.height !== primary.image.height) {
    throw new InternalError(
      `reference ${referenceId}: NOISE is ${noise.image.width}×${noise.image.height}, the image ${primary.image.width}×${primary.image.height}`,
    )
  }
  const lookup = headerLookup(primary.header)
  const fwhm = lookup.get('FWHM')
  const frames = lookup.get('NFRAMES')
  return {
    referenceId,
    image: primary.image,
    noise: noise.image,
    header: headerTextOf(primary.header),
    fwhm: typeof fwhm === 'number' ? fwhm : Number.NaN,
    frames: typeof frames === 'number' ? frames : 1,
  }
}
