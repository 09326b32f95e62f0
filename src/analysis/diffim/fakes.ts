/**
 * Fake sources for measuring completeness: point sources of known flux added to the science image before
 * subtraction, then looked for among the detections — how IPAC's RAPID and Rubin's pipelines measure what fraction
 * of real transients of each brightness they would find (science-references: "inject fake point sources of known flux,
 * run the same steps, and count what comes back").
 *
 * Fakes are drawn with the image's own PSF model (the measured kernel, shifted to a sub-pixel position), so they
 * look like the image's real stars. Positions keep `margin` pixels from the edges and from each other.
 */
import { mulberry32 } from '../sensor-noise.js'
import type { FloatImage } from '../float-image.js'
import { shiftedKernel } from './measure.js'
import type { PsfModel } from './psf-model.js'

export interface FakeSource {
  readonly x: number
  readonly y: number
  readonly flux: number
  readonly mag: number
}

export interface FakeOptions {
  readonly count: number
  /** Magnitudes are drawn uniformly in this range. */
  readonly mags: readonly [number, number]
  /** The magnitude of 1 ADU (a flux of 10^(−0.4 (mag − zeroPoint))). */
  readonly zeroPoint: number
  readonly seed: number
  /** Minimum distance from the edges and between fakes, pixels (default 4 FWHM). */
  readonly margin?: number
}

/** Adds `count` fakes to `image` in place and returns where they are. */
export function injectFakes(image: FloatImage, psf: PsfModel, options: FakeOptions): FakeSource[] {
  const random = mulberry32(options.seed)
  const margin = options.margin ?? Math.ceil(4 * psf.fwhm)
  const fakes: FakeSource[] = []
  const { kernel } = psf
  const half = kernel.width >> 1
  for (let attempt = 0; fakes.length < options.count && attempt < options.count * 50; attempt++) {
    const x = margin + random() * (image.width - 2 * margin)
    const y = margin + random() * (image.height - 2 * margin)
    if (fakes.some((fake) => Math.hypot(fake.x - x, fake.y - y) < margin)) continue
    const mag = options.mags[0] + random() * (options.mags[1] - options.mags[0])
    const flux = 10 ** (-0.4 * (mag - options.zeroPoint))
    const cx = Math.round(x)
    const cy = Math.round(y)
    const profile = shiftedKernel(kernel, x - cx, y - cy)
    for (let ky = 0; ky < kernel.height; ky++) {
      const py = cy + ky - half
      if (py < 0 || py >= image.height) continue
      for (let kx = 0; kx < kernel.width; kx++) {
        const px = cx + kx - half
        if (px < 0 || px >= image.width) continue
        image.data[py * image.width + px]! += flux * profile[ky * kernel.width + kx]!
      }
    }
    fakes.push({ x, y, flux, mag })
  }
  return fakes
}

export interface CompletenessBin {
  /** Lower and upper magnitude of the bin. */
  readonly mags: readonly [number, number]
  readonly injected: number
  readonly recovered: number
  readonly fraction: number
}

/**
 * Which fakes came back: a fake is recovered when a positive detection lies within `radius` pixels of it.
 * Returns per-fake flags and completeness per magnitude bin of width `binWidth`.
 */
export function recoverFakes(
  fakes: readonly FakeSource[],
  detections: readonly { readonly x: number; readonly y: number; readonly snr: number }[],
  radius: number,
  binWidth = 0.5,
): { recovered: boolean[]; bins: CompletenessBin[] } {
  const recovered = fakes.map((fake) => detections.some((d) => d.snr > 0 && Math.hypot(d.x - fake.x, d.y - fake.y) <= radius))
  const byBin = new Map<number, { injected: number; recovered: number }>()
  fakes.forEach((fake, i) => {
    const key = Math.floor(fake.mag / binWidth)
    const bin = byBin.get(key) ?? { injected: 0, recovered: 0 }
    bin.injected += 1
    if (recovered[i]) bin.recovered += 1
    byBin.set(key, bin)
  })
  const bins = [...byBin.entries()]
    .sort(([a], [b]) => a - b)
    .map(([key, bin]) => ({
      mags: [key * binWidth, (key + 1) * binWidth] as const,
      injected: bin.injected,
      recovered: bin.recovered,
      fraction: bin.recovered / bin.injected,
    }))
  return { recovered, bins }
}
