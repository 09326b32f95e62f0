/**
 * Difference imaging from end to end for one science image against its reference: the order of steps every alert
 * pipeline applies (science-references §"Methods"): background → PSF → align the reference through both WCSs →
 * inject fakes → PSF-match and subtract → detect (±) → measure → real-bogus → sky positions and event types.
 *
 * Pure: images and header cards in, detections and the difference image out; the analyze stage stores them. Fakes are
 * injected into the science image on every run (RAPID's practice) so each run reports its own completeness; the
 * detections that are fakes are marked and never become events.
 */
import type { HeaderCard } from '../fits/header-card.js'
import { headerLookup } from '../fits/header-card.js'
import type { FloatImage } from '../float-image.js'
import { readWcs, type Wcs } from '../wcs/wcs.js'
import { backgroundSubtracted } from './background.js'
import { detectSources } from './detect.js'
import { injectFakes, recoverFakes, type CompletenessBin, type FakeSource } from './fakes.js'
import { measureOne, measureSources, type Measurement } from './measure.js'
import { measurePsf } from './psf-measure.js'
import type { PsfModel } from './psf-model.js'
import { REAL_BOGUS_THRESHOLD, realBogusOptions, realBogusScore } from './real-bogus.js'
import { resampleAll } from './resample.js'
import { subtractImages, type SubtractOptions, type Subtraction } from './subtract.js'

export interface ScienceInput {
  readonly image: FloatImage
  readonly cards: readonly HeaderCard[]
}

/** A reference as stored: background-subtracted, with its noise map and measured PSF. */
export interface ReferenceInput {
  readonly image: FloatImage
  readonly noise: FloatImage
  readonly psf: PsfModel
  readonly cards: readonly HeaderCard[]
}

export type TransientKind = 'new_source' | 'brightening' | 'fading'

/** A detection on the difference image that passed the real-bogus cut: its measurement, and where and what it is. */
export interface DiaSource extends Measurement {
  readonly ra: number
  readonly dec: number
  readonly realBogus: number
  /** PSF flux of the reference at this position (S/N ≥ 5 there means a known source changed). */
  readonly referenceFlux: number
  readonly kind: TransientKind
  /** Index into `fakes` when this detection is an injected fake. */
  readonly fake: number | null
}

export interface FindTransientsOptions {
  /** First guess of the science PSF's FWHM, pixels. */
  readonly fwhmGuess?: number
  readonly threshold?: number
  readonly realBogusThreshold?: number
  /**
   * Fakes injected per image (0 turns them off), the magnitude of 1 ADU, and their brightness: a magnitude range, or
   * an S/N range on the science image (its background noise through its PSF), drawn uniformly in magnitude — so one
   * setting spans the detection limit of any image, however deep.
   */
  readonly fakes?: {
    readonly count: number
    readonly zeroPoint: number
    readonly mags?: readonly [number, number]
    readonly snr?: readonly [number, number]
  }
  readonly seed?: number
  /** The difference's model-noise terms (subtract.ts): registration error and flux-scale error. */
  readonly subtract?: SubtractOptions
}

export interface TransientSearch {
  readonly difference: FloatImage
  readonly noise: FloatImage
  /** The reference on the science grid (for the reference stamp). */
  readonly alignedReference: FloatImage
  readonly sciencePsf: PsfModel
  readonly differencePsf: PsfModel
  /** Detections passing the real-bogus cut, fakes included (marked); the most significant first. */
  readonly sources: DiaSource[]
  /** Detections before the cut. */
  readonly candidates: number
  /** Of those, how many lie within 1.5 px of a fake (candidates − this = real candidates). */
  readonly fakeCandidates: number
  readonly fakes: FakeSource[]
  readonly completeness: CompletenessBin[]
  readonly scienceWcs: Wcs
  /** What the detection S/N was divided by for correlated noise. */
  readonly noiseCorrection: number
  /** How the PSFs were matched (subtract.ts). */
  readonly psfMethod: string
}

/** Finds what changed in `science` against `reference`. */
export function findTransients(science: ScienceInput, reference: ReferenceInput, options: FindTransientsOptions = {}): TransientSearch {
  const scienceWcs = readWcs(headerLookup(science.cards))
  const referenceWcs = readWcs(headerLookup(reference.cards))
  const { subtraction, alignedReference, alignedNoise, sciencePsf, fakes } = subtracted(
    science,
    reference,
    scienceWcs,
    referenceWcs,
    options,
  )
  const { difference, noise, psf } = subtraction
  const found = detectSources(difference, { fwhm: psf.fwhm, noise, threshold: options.threshold ?? 5 })
  const measured = measureSources(difference, found.detections, { psf, noise })
  const rb = realBogusOptions(psf)
  const sky: [number, number] = [0, 0]
  const cut = options.realBogusThreshold ?? REAL_BOGUS_THRESHOLD
  const sources: DiaSource[] = []
  measured.forEach((m, i) => {
    const realBogus = realBogusScore(m, rb)
    if (realBogus < cut) return
    const detection = found.detections[i]!
    scienceWcs.pixelToSkyInto(m.x, m.y, sky)
    const ref = measureOne(alignedReference, m.x, m.y, 1, { psf: reference.psf, noise: alignedNoise })
    const known = ref.snr >= 5
    const kind: TransientKind = detection.snr < 0 ? 'fading' : known ? 'brightening' : 'new_source'
    const fake = fakes.findIndex((f) => Math.hypot(f.x - m.x, f.y - m.y) <= 1.5)
    sources.push({
      ...m,
      ra: sky[0],
      dec: sky[1],
      realBogus,
      referenceFlux: ref.psfFlux,
      kind,
      fake: fake >= 0 ? fake : null,
    })
  })
  const { bins } = recoverFakes(fakes, sources, 1.5)
  return {
    difference,
    noise,
    alignedReference,
    sciencePsf,
    differencePsf: psf,
    sources,
    candidates: found.detections.length,
    fakeCandidates: found.detections.filter((d) => fakes.some((f) => Math.hypot(f.x - d.x, f.y - d.y) <= 1.5)).length,
    fakes,
    completeness: bins,
    scienceWcs,
    noiseCorrection: found.noiseCorrection,
    psfMethod: subtraction.method,
  }
}

/**
 * The steps up to the difference image. Their two 4096² buffers are reused rather than left to the garbage collector
 * (which freed them late: the analysis peaked at 880 MB): the science noise map becomes the difference's noise map
 * and the background-subtracted science image detection's S/N image.
 */
function subtracted(
  science: ScienceInput,
  reference: ReferenceInput,
  scienceWcs: Wcs,
  referenceWcs: Wcs,
  options: FindTransientsOptions,
): {
  subtraction: Subtraction
  alignedReference: FloatImage
  alignedNoise: FloatImage
  sciencePsf: PsfModel
  fakes: FakeSource[]
  /** The background-subtracted science image, no longer needed: detection's S/N image goes into it. */
  spare: FloatImage
} {
  const { width, height } = science.image
  const background = backgroundSubtracted(science.image)
  const image = background.image
  const sciencePsf = measurePsf(image, { fwhmGuess: options.fwhmGuess ?? 2.5, noise: background.rms, minSnr: 20 })
  const sky: [number, number] = [0, 0]
  const map = (x: Float64Array, y: Float64Array): void => {
    for (let i = 0; i < x.length; i++) {
      scienceWcs.pixelToSkyInto(x[i]!, y[i]!, sky)
      referenceWcs.skyToPixelInto(sky[0], sky[1], sky)
      x[i] = sky[0]
      y[i] = sky[1]
    }
  }
  const [alignedReference, alignedNoise] = resampleAll([reference.image, reference.noise], width, height, map) as [FloatImage, FloatImage]
  const fakeOptions = options.fakes
  const fakes =
    fakeOptions !== undefined && fakeOptions.count > 0
      ? injectFakes(image, sciencePsf, {
          count: fakeOptions.count,
          zeroPoint: fakeOptions.zeroPoint,
          mags: fakeOptions.mags ?? magsForSnr(fakeOptions.snr ?? [3, 50], fakeOptions.zeroPoint, background.globalRms, sciencePsf),
          seed: options.seed ?? 1,
        })
      : []
  // The gain (GAIN card, e⁻/ADU) gives the sources' own Poisson noise; a reference stacks NFRAMES frames of it.
  const scienceHeader = headerLookup(science.cards)
  const referenceHeader = headerLookup(reference.cards)
  const gainOf = (value: unknown): number | undefined => (typeof value === 'number' && value > 0 ? value : undefined)
  const scienceGain = gainOf(scienceHeader.get('GAIN'))
  const referenceGain = gainOf(referenceHeader.get('GAIN')) ?? scienceGain
  const frames = referenceHeader.get('NFRAMES')
  const subtraction = subtractImages(
    { image, noise: background.rms, psf: sciencePsf, ...(scienceGain === undefined ? {} : { gain: scienceGain }) },
    {
      image: alignedReference,
      noise: alignedNoise,
      psf: reference.psf,
      ...(referenceGain === undefined ? {} : { gain: referenceGain }),
      ...(typeof frames === 'number' && frames >= 1 ? { frames } : {}),
    },
    options.subtract,
    // The science noise map is ours and read only here: the difference's noise map takes its place.
    background.rms,
  )
  return { subtraction, alignedReference, alignedNoise, sciencePsf, fakes, spare: image }
}

/**
 * The magnitudes of point sources detected at S/N `snr` on an image of background noise σ and PSF P: PSF-fit flux
 * error σ_F = σ / √ΣP² (measure.ts), flux = S/N · σ_F. Brighter first, as `mags` ranges are.
 */
function magsForSnr(snr: readonly [number, number], zeroPoint: number, sigma: number, psf: PsfModel): [number, number] {
  let sumP2 = 0
  for (const p of psf.kernel.data) sumP2 += p * p
  const fluxError = sigma / Math.sqrt(sumP2)
  const mag = (s: number): number => zeroPoint - 2.5 * Math.log10(s * fluxError)
  return [mag(Math.max(snr[0], snr[1])), mag(Math.min(snr[0], snr[1]))]
}
