/**
 * Building a reference (template) from several frames of one field and filter: each frame background-subtracted,
 * resampled onto the first frame's pixel grid through the WCSs, scaled to its flux, then stacked with outlier
 * rejection (reference-stack.ts) and its PSF measured afresh — what ZTF's reference builder does with 15–40 good
 * frames (Masci et al. 2019, PASP 131:018003, §3.5). The first frame's header cards (WCS included) describe the
 * result's grid.
 */
import type { HeaderCard } from '../fits/header-card.js'
import { headerLookup } from '../fits/header-card.js'
import type { FloatImage } from '../float-image.js'
import { readWcs } from '../wcs/wcs.js'
import { estimateBackground, subtractBackground } from './background.js'
import type { ReferenceInput, ScienceInput } from './find-transients.js'
import { measurePsf } from './psf-measure.js'
import { stackFrames } from './reference-stack.js'
import { resampleAll } from './resample.js'
import { fluxScale } from './subtract.js'

export interface BuiltReference extends ReferenceInput {
  /** How many frames went in. */
  readonly frames: number
}

export function buildReference(frames: readonly ScienceInput[], fwhmGuess = 2.5): BuiltReference {
  const first = frames[0]
  if (first === undefined) throw new RangeError('a reference needs at least one frame')
  const gridWcs = readWcs(headerLookup(first.cards))
  const { width, height } = first.image
  const sky: [number, number] = [0, 0]
  const prepared = frames.map((frame) => {
    const wcs = readWcs(headerLookup(frame.cards))
    const background = estimateBackground(frame.image)
    const map = (x: Float64Array, y: Float64Array): void => {
      for (let i = 0; i < x.length; i++) {
        gridWcs.pixelToSkyInto(x[i]!, y[i]!, sky)
        wcs.skyToPixelInto(sky[0], sky[1], sky)
        x[i] = sky[0]
        y[i] = sky[1]
      }
    }
    const [image, noise] = resampleAll([subtractBackground(frame.image, background), background.rms], width, height, map) as [
      FloatImage,
      FloatImage,
    ]
    return { image, noise }
  })
  // Bring every frame to the first one's flux scale (transparency and exposure differ from frame to frame).
  const base = prepared[0]!
  const basePsf = measurePsf(base.image, { fwhmGuess, noise: base.noise, minSnr: 20 })
  const scaled = prepared.map((frame, index) => {
    if (index === 0) return frame
    const psf = measurePsf(frame.image, { fwhmGuess, noise: frame.noise, minSnr: 20 })
    const scale = fluxScale({ ...base, psf: basePsf }, { ...frame, psf })
    for (let i = 0; i < frame.image.data.length; i++) {
      frame.image.data[i]! *= scale
      frame.noise.data[i]! *= scale
    }
    return frame
  })
  const stack = stackFrames(scaled)
  const psf = measurePsf(stack.image, { fwhmGuess, noise: stack.noise, minSnr: 20 })
  const cards: HeaderCard[] = [...first.cards]
  return { image: stack.image, noise: stack.noise, psf, cards, frames: frames.length }
}
