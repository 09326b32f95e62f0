/**
 * The pixel work of the `diffim` analyzer, synchronous so it runs as one task in a worker thread (diffim-worker.ts)
 * or inline: findTransients, the image's three measurements, the detections and the run record, and — only when
 * there is an event to show them with — the FITS products and the RGB previews. Encoding previews as JPEG/PNG is
 * left to the caller (sharp works on libuv's threads, off any event loop), so this module needs no native code.
 *
 * Everything it returns is plain data and typed arrays: `transferablesOf` lists the buffers a worker hands back
 * without copying them.
 */
import { performance } from 'node:perf_hooks'
import type { AnalyzerDetection, Measurements } from '../../core/ports/analyzer.js'
import type { DiffimRun, FakeRecord } from '../../core/ports/science-ledger.js'
import type { EventType } from '../../core/types.js'
import { preview } from '../display/preview.js'
import type { HeaderCard } from '../fits/header-card.js'
import { headerLookup } from '../fits/header-card.js'
import { writeFits } from '../fits/fits-writer.js'
import type { FloatImage } from '../float-image.js'
import { wcsCards } from '../wcs/wcs-cards.js'
import { findTransients, type DiaSource, type TransientSearch } from './find-transients.js'
import { measureOne } from './measure.js'
import { measurePsf } from './psf-measure.js'
import type { PsfModel } from './psf-model.js'
import { cutStamp, stampCards, ZTF_STAMP_SIZE } from './stamps.js'
import { cardsOfHeaderText } from './header-text.js'

export interface DiffimOptions {
  /** Fakes injected per image (default 20; 0 turns them off). */
  readonly fakes?: number
  /** Their S/N range on the science image, drawn uniformly in magnitude (default 3–50: both sides of the limit). */
  readonly fakeSnr?: readonly [number, number]
  /** Detection threshold, S/N (default 5). */
  readonly threshold?: number
  /** Real-bogus cut (default real-bogus.ts's). */
  readonly realBogusThreshold?: number
  /** Stamps for at most this many detections, the most significant first (default 20). */
  readonly maxStamps?: number
  /** First guess of the science PSF's FWHM, pixels (default 2.5). */
  readonly fwhmGuess?: number
  /** The longest side of `difference.jpg` (default 2048: a 4096² difference is shown at half size). */
  readonly previewMaxSize?: number
}

type FilledDiffimOptions = Required<Omit<DiffimOptions, 'realBogusThreshold'>> & Pick<DiffimOptions, 'realBogusThreshold'>

export const DEFAULT_DIFFIM_OPTIONS: FilledDiffimOptions = {
  fakes: 20,
  fakeSnr: [3, 50],
  threshold: 5,
  maxStamps: 20,
  fwhmGuess: 2.5,
  previewMaxSize: 2048,
}

/** The magnitude of 1 ADU when the header has no MAGZP: fake magnitudes are then on this arbitrary scale. */
const DEFAULT_ZERO_POINT = 25

export interface DiffimReferencePixels {
  readonly referenceId: number
  readonly image: FloatImage
  readonly noise: FloatImage
  readonly header: string
}

export interface DiffimRequest {
  readonly imageId: number
  /** The science pixels; fakes go into a copy, these are only read. */
  readonly science: FloatImage
  readonly scienceHeader: string
  readonly reference: DiffimReferencePixels
  /** The reference's PSF when the caller has it cached by referenceId; measured (≈ a second at 4096²) when absent. */
  readonly referencePsf?: PsfModel
  readonly options?: DiffimOptions
}

/** An FITS product, named as its Derivative. */
export interface FitsProduct {
  readonly name: string
  readonly bytes: Uint8Array
  readonly detection?: number
}

/** A preview still to be encoded: 8-bit RGB, top row first. */
export interface RawPreview {
  readonly name: string
  readonly format: 'jpeg' | 'png'
  readonly width: number
  readonly height: number
  readonly rgb: Uint8Array
  readonly detection?: number
}

export interface DiffimProducts {
  readonly measurements: Measurements
  readonly detections: AnalyzerDetection[]
  readonly run: Omit<DiffimRun, 'imageId'>
  /** The kind of the most significant detection; null when there is none (no event, no products). */
  readonly eventType: EventType | null
  /** Whole-image products first, then each stamp's science, reference and difference. */
  readonly fits: FitsProduct[]
  readonly previews: RawPreview[]
  /** The reference's PSF as used, for the caller's cache. */
  readonly referencePsf: PsfModel
}

export const DIFFERENCE_PREVIEW = 'difference.jpg'

/** The PSF of a stored reference, measured with its FWHM card as the first guess. */
export function referencePsfOf(reference: DiffimReferencePixels, cards = cardsOfHeaderText(reference.header)): PsfModel {
  const fwhm = headerLookup(cards).get('FWHM')
  const fwhmGuess = typeof fwhm === 'number' && fwhm > 0 ? fwhm : DEFAULT_DIFFIM_OPTIONS.fwhmGuess
  return measurePsf(reference.image, { fwhmGuess, noise: reference.noise, minSnr: 20 })
}

/** A seed from the image id: the same image gets the same fakes on every run, so a rerun gives the same results. */
export function fakeSeedOf(imageId: number): number {
  return Math.imul(imageId ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 1
}

export function diffimProducts(request: DiffimRequest): DiffimProducts {
  const started = performance.now()
  const options: FilledDiffimOptions = { ...DEFAULT_DIFFIM_OPTIONS, ...request.options }
  const scienceCards = cardsOfHeaderText(request.scienceHeader)
  const referenceCards = cardsOfHeaderText(request.reference.header)
  const referencePsf = request.referencePsf ?? referencePsfOf(request.reference, referenceCards)
  const zeroPoint = headerLookup(scienceCards).get('MAGZP')
  const search = findTransients(
    { image: request.science, cards: scienceCards },
    { image: request.reference.image, noise: request.reference.noise, psf: referencePsf, cards: referenceCards },
    {
      fwhmGuess: options.fwhmGuess,
      threshold: options.threshold,
      ...(options.realBogusThreshold === undefined ? {} : { realBogusThreshold: options.realBogusThreshold }),
      fakes: {
        count: options.fakes,
        snr: options.fakeSnr,
        zeroPoint: typeof zeroPoint === 'number' ? zeroPoint : DEFAULT_ZERO_POINT,
      },
      seed: fakeSeedOf(request.imageId),
    },
  )
  const { width, height } = request.science
  // The measured PSF-fit S/N (errors corrected for correlated noise) must pass the threshold too, not only the
  // matched filter's peak: a subtraction residual narrower or wider than the PSF peaks higher than it measures.
  const significant = (source: DiaSource): boolean => Math.abs(source.snr) / search.noiseCorrection >= options.threshold
  const real = search.sources
    .filter((source) => source.fake === null && significant(source))
    .sort((a, b) => Math.abs(b.snr) - Math.abs(a.snr))
  const detections = real.map((source) => detectionOf(source, width, height, search.noiseCorrection))
  const products = detections.length > 0 ? imageProducts(request, search, real, scienceCards, options) : { fits: [], previews: [] }
  const run: Omit<DiffimRun, 'imageId'> = {
    referenceId: request.reference.referenceId,
    psfMethod: search.psfMethod,
    scienceFwhm: search.sciencePsf.fwhm,
    referenceFwhm: referencePsf.fwhm,
    noiseCorrection: search.noiseCorrection,
    candidates: search.candidates - search.fakeCandidates,
    detections: detections.length,
    seconds: (performance.now() - started) / 1000,
    fakes: fakeRecords(search, significant),
  }
  return {
    measurements: measurementsOf(search.difference, search.noise, options.threshold),
    detections,
    run,
    eventType: detections[0]?.kind ?? null,
    ...products,
    referencePsf,
  }
}

/**
 * The image row's three figures, for a difference image: `l2Norm` the rms of difference/noise over unmasked pixels
 * (≈ 1 for a clean subtraction of pure noise), `changedFraction` the fraction of unmasked pixels with |S/N| above
 * the detection threshold, `maxAbsDifference` the largest |difference| in ADU.
 */
function measurementsOf(difference: FloatImage, noise: FloatImage, threshold: number): Measurements {
  const d = difference.data
  const n = noise.data
  let count = 0
  let sumSq = 0
  let changed = 0
  let maxAbs = 0
  for (let i = 0; i < d.length; i++) {
    const value = d[i]!
    const sigma = n[i]!
    // NaN fails both comparisons: masked pixels and pixels without a noise estimate drop out.
    if (!(value === value) || !(sigma > 0)) continue
    const snr = value / sigma
    count += 1
    sumSq += snr * snr
    if (snr > threshold || snr < -threshold) changed += 1
    const abs = value < 0 ? -value : value
    if (abs > maxAbs) maxAbs = abs
  }
  if (count === 0) return { l2Norm: null, changedFraction: null, maxAbsDifference: null }
  return { l2Norm: Math.sqrt(sumSq / count), changedFraction: changed / count, maxAbsDifference: maxAbs }
}

/**
 * A detection as the port carries it. Flux errors are scaled by the noise correction detection measured: the noise
 * map propagates σ per pixel but not the correlation that resampling and convolution add, which makes the map's
 * errors too small by that factor (the same factor detection divides its S/N by).
 */
function detectionOf(source: DiaSource, width: number, height: number, noiseCorrection: number): AnalyzerDetection {
  const psfFluxErr = source.psfFluxErr * noiseCorrection
  return {
    x: source.x,
    y: source.y,
    ra: source.ra,
    dec: source.dec,
    psfFlux: source.psfFlux,
    psfFluxErr,
    apFlux: source.apFlux,
    apFluxErr: source.apFluxErr * noiseCorrection,
    snr: source.psfFlux / psfFluxErr,
    fwhm: source.fwhm,
    elongation: source.elongation,
    nbad: source.nbad,
    nneg: source.nneg,
    edgeDistance: Math.min(source.x, source.y, width - 1 - source.x, height - 1 - source.y),
    realBogus: source.realBogus,
    kind: source.kind,
  }
}

/**
 * Each fake with the S/N it should have had on the difference image (its PSF-fit error there, corrected for
 * correlated noise as the detections' are) and what came back.
 */
function fakeRecords(search: TransientSearch, significant: (source: DiaSource) => boolean): FakeRecord[] {
  return search.fakes.map((fake, index) => {
    const expected = measureOne(search.difference, fake.x, fake.y, 1, { psf: search.differencePsf, noise: search.noise })
    const found = search.sources.find((source) => source.fake === index && source.snr > 0 && significant(source))
    return {
      x: fake.x,
      y: fake.y,
      flux: fake.flux,
      mag: fake.mag,
      expectedSnr: fake.flux / (expected.psfFluxErr * search.noiseCorrection),
      recovered: found !== undefined,
      measuredFlux: found?.psfFlux ?? null,
    }
  })
}

/** Cards every product carries: the science image's WCS and what says which observation it came from. */
function productCards(search: TransientSearch, scienceCards: readonly HeaderCard[]): HeaderCard[] {
  const keep = new Set(['OBJECT', 'FIELD', 'FILTER', 'EXPTIME', 'MJD-OBS', 'DATE-OBS', 'TIMESYS', 'MAGZP'])
  return [...scienceCards.filter((card) => keep.has(card.keyword) && card.value !== undefined), ...wcsCards(search.scienceWcs)]
}

function imageProducts(
  request: DiffimRequest,
  search: TransientSearch,
  real: readonly DiaSource[],
  scienceCards: readonly HeaderCard[],
  options: FilledDiffimOptions,
): { fits: FitsProduct[]; previews: RawPreview[] } {
  const cards = productCards(search, scienceCards)
  const whole = preview(search.difference, { stretch: 'asinh', maxSize: options.previewMaxSize })
  const fits: FitsProduct[] = [
    { name: 'difference.fits', bytes: writeFits(search.difference, [...cards, { keyword: 'BUNIT', value: 'ADU' }]) },
    { name: 'noise.fits', bytes: writeFits(search.noise, [...cards, { keyword: 'BUNIT', value: 'ADU', comment: 'sigma per pixel' }]) },
  ]
  const previews: RawPreview[] = [{ name: DIFFERENCE_PREVIEW, format: 'jpeg', width: whole.width, height: whole.height, rgb: whole.data }]
  const sources: [string, FloatImage][] = [
    ['science', request.science],
    ['reference', search.alignedReference],
    ['difference', search.difference],
  ]
  real.slice(0, options.maxStamps).forEach((source, detection) => {
    for (const [kind, image] of sources) {
      const stamp = cutStamp(image, source.x, source.y, ZTF_STAMP_SIZE)
      fits.push({ name: `stamp-${detection}-${kind}.fits`, bytes: writeFits(stamp.image, stampCards(cards, stamp)), detection })
      const small = preview(stamp.image, { stretch: 'asinh' })
      previews.push({
        name: `stamp-${detection}-${kind}.png`,
        format: 'png',
        width: small.width,
        height: small.height,
        rgb: small.data,
        detection,
      })
    }
  })
  return { fits, previews }
}

/** The buffers of a result a worker can hand over instead of copying (each once). */
export function transferablesOf(products: DiffimProducts): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>()
  for (const product of products.fits) buffers.add(product.bytes.buffer as ArrayBuffer)
  for (const product of products.previews) buffers.add(product.rgb.buffer as ArrayBuffer)
  return [...buffers]
}
