/**
 * A mock sky: FITS-ready frames of star fields as a survey telescope takes them, with a truth table of what changed.
 *
 * Each field has a fixed catalogue of stars (magnitudes drawn from rising number counts, log N ∝ 0.3 m). Each frame
 * sees it through a Moffat PSF whose seeing varies frame to frame, on a sky background, with Poisson and read noise,
 * through a TAN-SIP WCS whose pointing wanders by a few arcseconds. Three kinds of change are injected per field,
 * the ones alert pipelines exist to find: a new point source that appears half-way through, a variable star (an
 * existing star whose flux swings sinusoidally) and a moving object (a straight track, fast enough that its
 * detections never fall within an association radius of each other). Everything is a function of `seed`.
 *
 * Frames are rendered one at a time (`renderMockSkyFrame`) so a long stream never holds more than one in memory.
 */
import { mulberry32 } from '../sensor-noise.js'
import { floatImage, type FloatImage } from '../float-image.js'
import type { HeaderCard } from '../fits/header-card.js'
import { addMoffatStar, type Moffat } from './moffat.js'
import { mockPixelToSky, mockSkyToPixel, mockSkyWcsCards, type MockSkyWcs } from './mock-sky-wcs.js'

export interface MockSkyField {
  readonly name: string
  /** Field centre, degrees (ICRS). */
  readonly ra: number
  readonly dec: number
}

export interface MockSkyOptions {
  readonly seed: number
  readonly fields: readonly MockSkyField[]
  /** Frames per field. */
  readonly frames: number
  readonly width: number
  readonly height: number
  readonly pixelScaleArcsec: number
  /** Catalogue stars per field. */
  readonly stars: number
  readonly filter: string
  readonly exposureS: number
  readonly startMjd: number
  /** Time between frames of a field, days. */
  readonly cadenceDays: number
  /** Sky background, ADU per pixel. */
  readonly skyAdu: number
  /** Electrons per ADU. */
  readonly gain: number
  /** Read noise, electrons. */
  readonly readNoiseE: number
  /** The magnitude that gives 1 ADU in the exposure. */
  readonly zeroPoint: number
  /** Seeing (FWHM, arcseconds) drawn uniformly in this range per frame. */
  readonly seeingArcsec: readonly [number, number]
  /** Pointing jitter (standard deviation per axis, arcseconds). */
  readonly jitterArcsec: number
}

export const DEFAULT_MOCK_SKY: MockSkyOptions = {
  seed: 1,
  fields: [{ name: 'field-a', ra: 150.1, dec: 2.2 }],
  frames: 10,
  width: 1024,
  height: 1024,
  pixelScaleArcsec: 1.0,
  stars: 400,
  filter: 'r',
  exposureS: 30,
  startMjd: 61_000.25,
  cadenceDays: 0.02,
  skyAdu: 300,
  gain: 1.5,
  readNoiseE: 6,
  zeroPoint: 26,
  seeingArcsec: [1.6, 2.6],
  jitterArcsec: 4,
}

export type TruthKind = 'star' | 'new' | 'variable' | 'moving'

/** One source as it is in one frame: the truth a detection is matched against. */
export interface TruthRow {
  readonly field: string
  readonly frame: number
  readonly kind: TruthKind
  readonly id: string
  readonly ra: number
  readonly dec: number
  /** 0-based pixel position in this frame. */
  readonly x: number
  readonly y: number
  /** Total flux in this frame, ADU (0 when the source is absent). */
  readonly flux: number
  readonly mag: number | null
}

export interface MockSkyFrame {
  readonly field: string
  /** 1-based frame number within its field. */
  readonly frame: number
  readonly mjd: number
  readonly seeingFwhmPx: number
  readonly wcs: MockSkyWcs
  readonly image: FloatImage
  /** Cards for the FITS primary header (observation, instrument and WCS keywords). */
  readonly cards: HeaderCard[]
  /** Changing sources (new, variable, moving) in this frame; `catalogue` holds the static stars. */
  readonly truth: TruthRow[]
}

interface Star {
  readonly id: string
  readonly ra: number
  readonly dec: number
  readonly mag: number
}

interface FieldPlan {
  readonly field: MockSkyField
  readonly stars: readonly Star[]
  readonly newSource: Star
  readonly variable: Star
  readonly moving: { readonly id: string; readonly ra: number; readonly dec: number; readonly mag: number }
  /** Degrees per frame of the moving object, along RA·cos(dec) and Dec. */
  readonly motion: readonly [number, number]
}

function seedOf(...parts: number[]): number {
  let hash = 2166136261
  for (const part of parts) hash = Math.imul(hash ^ (part >>> 0), 16777619) >>> 0
  return hash
}

function gaussian(random: () => number): number {
  // Box–Muller; 1 − random() keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

/** A magnitude from log N(m) ∝ 0.3 m between `bright` and `faint`: most stars are faint, as on a real sky. */
function countMagnitude(random: () => number, bright: number, faint: number): number {
  const lo = 10 ** (0.3 * bright)
  const hi = 10 ** (0.3 * faint)
  return Math.log10(lo + random() * (hi - lo)) / 0.3
}

export function fluxOf(mag: number, zeroPoint: number): number {
  return 10 ** (-0.4 * (mag - zeroPoint))
}

function offsetSky(ra: number, dec: number, dxDeg: number, dyDeg: number): [number, number] {
  return [ra + dxDeg / Math.cos((dec * Math.PI) / 180), dec + dyDeg]
}

/** The nominal WCS of a field (no jitter): what its catalogue is laid out on. */
function nominalWcs(options: MockSkyOptions, field: MockSkyField, crval: readonly [number, number]): MockSkyWcs {
  const scale = options.pixelScaleArcsec / 3600
  return {
    crval,
    crpix: [(options.width + 1) / 2, (options.height + 1) / 2],
    // East to the left, north up, as a sky image is shown; a slight rotation as a real camera has.
    cd: [-scale * Math.cos(0.002), scale * Math.sin(0.002), scale * Math.sin(0.002), scale * Math.cos(0.002)],
    // About half a pixel of distortion at the corners of a 1024-pixel frame.
    sipA: [
      [2, 0, 1.5e-6 * (field.dec >= 0 ? 1 : -1)],
      [1, 1, -8e-7],
      [0, 2, 6e-7],
    ],
    sipB: [
      [2, 0, -5e-7],
      [1, 1, 1.1e-6],
      [0, 2, -1.2e-6],
    ],
  }
}

function planField(options: MockSkyOptions, field: MockSkyField, index: number): FieldPlan {
  const random = mulberry32(seedOf(options.seed, index, 0x5ca1ab1e))
  const wcs = nominalWcs(options, field, [field.ra, field.dec])
  const margin = 24
  const place = (): [number, number] => {
    const x = margin + random() * (options.width - 2 * margin)
    const y = margin + random() * (options.height - 2 * margin)
    return mockPixelToSky(wcs, x, y)
  }
  const stars: Star[] = []
  for (let i = 0; i < options.stars; i++) {
    const [ra, dec] = place()
    stars.push({ id: `${field.name}-s${i + 1}`, ra, dec, mag: countMagnitude(random, 14, 21.5) })
  }
  // Changes sit in the inner 60 % so pointing jitter and motion keep them inside every frame.
  const inner = (): [number, number] => {
    const x = options.width * (0.2 + 0.6 * random())
    const y = options.height * (0.2 + 0.6 * random())
    return mockPixelToSky(wcs, x, y)
  }
  const [nra, ndec] = inner()
  const [vra, vdec] = inner()
  const [mra, mdec] = inner()
  // 4 pixels a frame: far beyond a 1″ association radius, near enough to stay inside the frame for 60 frames.
  const perFrame = (options.pixelScaleArcsec * 4) / 3600
  const angle = random() * 2 * Math.PI
  return {
    field,
    stars,
    newSource: { id: `${field.name}-new1`, ra: nra, dec: ndec, mag: 18 },
    variable: { id: `${field.name}-var1`, ra: vra, dec: vdec, mag: 17.5 },
    moving: { id: `${field.name}-mov1`, ra: mra, dec: mdec, mag: 18.5 },
    motion: [perFrame * Math.cos(angle), perFrame * Math.sin(angle)],
  }
}

/** The static catalogue of every field, for matching detections of stars that did not change. */
export function mockSkyCatalogue(options: MockSkyOptions): TruthRow[] {
  return options.fields.flatMap((field, index) =>
    planField(options, field, index).stars.map((star) => ({
      field: field.name,
      frame: 0,
      kind: 'star' as const,
      id: star.id,
      ra: star.ra,
      dec: star.dec,
      x: Number.NaN,
      y: Number.NaN,
      flux: fluxOf(star.mag, options.zeroPoint),
      mag: star.mag,
    })),
  )
}

/** The frame at which the new source appears (1-based): half-way, so a reference can be built before it. */
export function newSourceFrame(options: MockSkyOptions): number {
  return Math.max(2, Math.floor(options.frames / 2) + 1)
}

/** The variable star's flux factor in frame `frame`: 1 ± 0.6 over a period of six frames. */
export function variableFactor(frame: number): number {
  return 1 + 0.6 * Math.sin((2 * Math.PI * frame) / 6)
}

/** Renders frame `frame` (1-based) of field number `fieldIndex` (0-based). */
export function renderMockSkyFrame(options: MockSkyOptions, fieldIndex: number, frame: number): MockSkyFrame {
  const field = options.fields[fieldIndex]
  if (field === undefined) throw new RangeError(`no field ${fieldIndex} in a mock sky of ${options.fields.length}`)
  if (!Number.isInteger(frame) || frame < 1 || frame > options.frames) {
    throw new RangeError(`frame ${frame} outside 1..${options.frames}`)
  }
  const plan = planField(options, field, fieldIndex)
  const random = mulberry32(seedOf(options.seed, fieldIndex, frame))
  const jitter = options.jitterArcsec / 3600
  const crval = offsetSky(field.ra, field.dec, gaussian(random) * jitter, gaussian(random) * jitter)
  const wcs = nominalWcs(options, field, crval)
  const [seeingLo, seeingHi] = options.seeingArcsec
  const seeingFwhmPx = (seeingLo + random() * (seeingHi - seeingLo)) / options.pixelScaleArcsec
  const psf: Moffat = { fwhm: seeingFwhmPx, beta: 3 }
  const mjd = options.startMjd + (frame - 1) * options.cadenceDays + fieldIndex * 0.001
  const image = floatImage(options.width, options.height)
  const draw = (ra: number, dec: number, flux: number): [number, number] => {
    const pixel = mockSkyToPixel(wcs, ra, dec) ?? [Number.NaN, Number.NaN]
    if (flux > 0 && Number.isFinite(pixel[0])) addMoffatStar(image, pixel[0], pixel[1], flux, psf)
    return pixel
  }
  for (const star of plan.stars) draw(star.ra, star.dec, fluxOf(star.mag, options.zeroPoint))
  const truth: TruthRow[] = []
  const row = (kind: TruthKind, id: string, ra: number, dec: number, flux: number): void => {
    const [x, y] = draw(ra, dec, flux)
    const mag = flux > 0 ? -2.5 * Math.log10(flux) + options.zeroPoint : null
    truth.push({ field: field.name, frame, kind, id, ra, dec, x, y, flux, mag })
  }
  const appears = newSourceFrame(options)
  const { newSource, variable, moving, motion } = plan
  row('new', newSource.id, newSource.ra, newSource.dec, frame >= appears ? fluxOf(newSource.mag, options.zeroPoint) : 0)
  row('variable', variable.id, variable.ra, variable.dec, fluxOf(variable.mag, options.zeroPoint) * variableFactor(frame))
  const [mra, mdec] = offsetSky(moving.ra, moving.dec, motion[0] * (frame - 1), motion[1] * (frame - 1))
  row('moving', moving.id, mra, mdec, fluxOf(moving.mag, options.zeroPoint))
  addNoise(image, options, random)
  const cards: HeaderCard[] = [
    { keyword: 'OBJECT', value: field.name, comment: 'field name' },
    { keyword: 'FIELD', value: field.name, comment: 'survey field' },
    { keyword: 'FILTER', value: options.filter, comment: 'filter band' },
    { keyword: 'EXPTIME', value: options.exposureS, comment: '[s] exposure time' },
    { keyword: 'MJD-OBS', value: mjd, comment: '[d] start of the exposure, MJD (UTC)' },
    { keyword: 'DATE-OBS', value: isoOfMjd(mjd), comment: 'start of the exposure (UTC)' },
    { keyword: 'TIMESYS', value: 'UTC' },
    { keyword: 'GAIN', value: options.gain, comment: '[e-/ADU]' },
    { keyword: 'RDNOISE', value: options.readNoiseE, comment: '[e-] read noise' },
    { keyword: 'SKYLEVEL', value: options.skyAdu, comment: '[ADU] mock sky background' },
    { keyword: 'SEEING', value: Number((seeingFwhmPx * options.pixelScaleArcsec).toFixed(4)), comment: '[arcsec] FWHM' },
    { keyword: 'MAGZP', value: options.zeroPoint, comment: '[mag] zero point: 1 ADU in the exposure' },
    { keyword: 'FRAMENUM', value: frame, comment: 'frame number within the field' },
    ...mockSkyWcsCards(wcs),
    { keyword: 'COMMENT', comment: 'imgpipe mock sky: simulated data with a truth table; not an observation' },
  ]
  return { field: field.name, frame, mjd, seeingFwhmPx, wcs, image, cards, truth }
}

/** Sky background, then Poisson noise on sky + sources (in electrons) and Gaussian read noise. */
function addNoise(image: FloatImage, options: MockSkyOptions, random: () => number): void {
  const { data } = image
  const gain = options.gain
  const readAdu = options.readNoiseE / gain
  for (let i = 0; i < data.length; i++) {
    const electrons = (data[i]! + options.skyAdu) * gain
    // The normal approximation to Poisson is good to well under 1 % of σ above ~100 e⁻, which every pixel has here.
    const shot = Math.sqrt(electrons) * gaussian(random)
    data[i] = (electrons + shot) / gain + readAdu * gaussian(random)
  }
}

/** MJD (UTC) → ISO 8601 with milliseconds, the form DATE-OBS takes. */
export function isoOfMjd(mjd: number): string {
  return new Date(Math.round((mjd - 40_587) * 86_400_000)).toISOString().replace('Z', '')
}

/** The truth rows as CSV (header line first), the file written beside the frames. */
export function truthCsv(rows: readonly TruthRow[]): string {
  const lines = ['field,frame,kind,id,ra,dec,x,y,flux,mag']
  for (const r of rows) {
    const mag = r.mag === null ? '' : r.mag.toFixed(4)
    lines.push(
      `${r.field},${r.frame},${r.kind},${r.id},${r.ra.toFixed(8)},${r.dec.toFixed(8)},${r.x.toFixed(3)},${r.y.toFixed(3)},${r.flux.toFixed(3)},${mag}`,
    )
  }
  return lines.join('\n') + '\n'
}
