/**
 * What a mock-sky run's difference imaging should have found, from its truth table: the changing sources (new,
 * variable, moving) of each frame after the reference with their expected S/N on the difference image, and the static
 * stars of the field (mock-sky.ts's catalogue) that must never be detected.
 */
import { DEFAULT_MOCK_SKY, mockSkyCatalogue, type MockSkyOptions, type TruthRow } from '../../src/analysis/sky/mock-sky.js'

export function parseTruthCsv(text: string): TruthRow[] {
  const [header, ...lines] = text.trim().split('\n')
  const names = header!.split(',')
  return lines.map((line) => {
    const value = Object.fromEntries(line.split(',').map((field, index) => [names[index], field]))
    const number = (name: string): number => Number(value[name])
    return {
      field: value['field']!,
      frame: number('frame'),
      kind: value['kind'] as TruthRow['kind'],
      id: value['id']!,
      ra: number('ra'),
      dec: number('dec'),
      x: number('x'),
      y: number('y'),
      flux: number('flux'),
      mag: value['mag'] === '' ? null : number('mag'),
    }
  })
}

/** The sky `imgpipe run --mock sky --streams 1` renders (mock-sky-source.ts): one field, `field-a`. */
export function runSky(options: { seed: number; count: number; size: number }): MockSkyOptions {
  return {
    ...DEFAULT_MOCK_SKY,
    seed: options.seed,
    fields: [{ name: 'field-a', ra: 150.1, dec: 2.2 }],
    frames: options.count,
    width: options.size,
    height: options.size,
  }
}

/**
 * The S/N a change of `flux` ADU has on a difference image against a reference of `referenceFrames` frames: a PSF
 * fit's σ is the pixel noise × √(4π)·σ_PSF (a Gaussian PSF), the pixel noise of science and reference added. The
 * seeing is the worst the mock sky draws (its upper bound), so the figure errs low.
 */
export function expectedSnr(sky: MockSkyOptions, flux: number, referenceFrames: number): number {
  const pixelSigma = Math.sqrt(sky.skyAdu * sky.gain + sky.readNoiseE ** 2) / sky.gain
  const differenceSigma = pixelSigma * Math.sqrt(1 + 1 / referenceFrames)
  const psfSigma = sky.seeingArcsec[1] / sky.pixelScaleArcsec / 2.3548
  return Math.abs(flux) / (differenceSigma * Math.sqrt(4 * Math.PI) * psfSigma)
}

/** Each changing source of frames after `referenceFrames`, with its flux change against the reference (the median). */
export function expectedChanges(truth: readonly TruthRow[], referenceFrames: number): (TruthRow & { change: number })[] {
  const reference = new Map<string, number>()
  for (const id of new Set(truth.map((row) => row.id))) {
    const fluxes = truth.filter((row) => row.id === id && row.frame <= referenceFrames).map((row) => row.flux)
    fluxes.sort((a, b) => a - b)
    // A moving object is somewhere else in each reference frame: the median leaves nothing of it where it is now.
    const kind = truth.find((row) => row.id === id)!.kind
    reference.set(id, kind === 'moving' ? 0 : (fluxes[Math.floor(fluxes.length / 2)] ?? 0))
  }
  return truth.filter((row) => row.frame > referenceFrames).map((row) => ({ ...row, change: row.flux - (reference.get(row.id) ?? 0) }))
}

export function staticStars(sky: MockSkyOptions): TruthRow[] {
  return mockSkyCatalogue(sky)
}

/** Great-circle distance in arcseconds (small angles). */
export function arcsecBetween(a: { ra: number; dec: number }, b: { ra: number; dec: number }): number {
  const dra = (a.ra - b.ra) * Math.cos((((a.dec + b.dec) / 2) * Math.PI) / 180)
  return Math.hypot(dra, a.dec - b.dec) * 3600
}
