import { describe, expect, it } from 'vitest'
import { buildReference } from '../../../src/analysis/diffim/build-reference.js'
import { findTransients } from '../../../src/analysis/diffim/find-transients.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame } from '../../../src/analysis/sky/mock-sky.js'

const options = { ...DEFAULT_MOCK_SKY, width: 512, height: 512, stars: 200, frames: 8, seed: 13 }

describe('findTransients on the mock sky, through the WCS read from the frames’ headers', () => {
  it('reports the new source, the variable and the moving object at their true sky positions with the right kinds', () => {
    const frames = [1, 2, 3].map((n) => renderMockSkyFrame(options, 0, n))
    const reference = buildReference(frames.map((f) => ({ image: f.image, cards: f.cards })))
    expect(reference.frames).toBe(3)
    const science = renderMockSkyFrame(options, 0, 5)
    const search = findTransients({ image: science.image, cards: science.cards }, reference, {
      fakes: { count: 15, mags: [17, 18], zeroPoint: options.zeroPoint },
      // Fakes land anywhere, on real sources too (as on the sky); this seed keeps them off the three changes.
      seed: 2,
    })
    const real = search.sources.filter((s) => s.fake === null)
    const arcsec = (s: { ra: number; dec: number }, t: { ra: number; dec: number }): number =>
      Math.hypot((s.ra - t.ra) * Math.cos((t.dec * Math.PI) / 180), s.dec - t.dec) * 3600
    const at = (kind: string) => science.truth.find((t) => t.kind === kind)!
    const fresh = real.find((s) => arcsec(s, at('new')) < 0.5)
    expect(fresh?.kind).toBe('new_source')
    expect(fresh!.psfFlux / at('new').flux).toBeGreaterThan(0.85)
    expect(fresh!.psfFlux / at('new').flux).toBeLessThan(1.15)
    const variable = real.find((s) => arcsec(s, at('variable')) < 0.5)
    // Frame 5's factor is 1 + 0.6 sin(10π/6) ≈ 0.48, well below the reference's (frames 1–3: 1.52, 1.52, 1.0).
    expect(variable?.kind).toBe('fading')
    expect(real.find((s) => arcsec(s, at('moving')) < 0.5)?.kind).toBe('new_source')
    // Nothing else real: every other source is a fake.
    const explained = real.filter((s) => ['new', 'variable', 'moving'].some((k) => arcsec(s, at(k)) < 1))
    expect(real.length - explained.length).toBeLessThanOrEqual(1)
    const injected = search.completeness.reduce((n, bin) => n + bin.injected, 0)
    const recovered = search.completeness.reduce((n, bin) => n + bin.recovered, 0)
    expect(injected).toBe(15)
    expect(recovered).toBeGreaterThanOrEqual(13)
  })
})
