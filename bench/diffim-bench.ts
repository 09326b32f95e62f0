/**
 * `npm run bench:diffim`: difference imaging on mock-sky frames, one JSON line per image size with the seconds each
 * step takes (single thread), the whole search, its completeness from injected fakes and the peak RSS.
 * BENCH_SIZES (default "1024,2048,4096"), BENCH_STARS_PER_MPIX (default 400), BENCH_FAKES (default 50).
 * The floor printed beside it is one pass over the science image's bytes (a copy): what no step can beat.
 */
import { performance } from 'node:perf_hooks'
import { estimateBackground, subtractBackground } from '../src/analysis/diffim/background.js'
import { buildReference } from '../src/analysis/diffim/build-reference.js'
import { detectSources } from '../src/analysis/diffim/detect.js'
import { findTransients } from '../src/analysis/diffim/find-transients.js'
import { measurePsf } from '../src/analysis/diffim/psf-measure.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame } from '../src/analysis/sky/mock-sky.js'

const sizes = (process.env['BENCH_SIZES'] ?? '1024,2048,4096').split(',').map(Number)
const starsPerMpix = Number(process.env['BENCH_STARS_PER_MPIX'] ?? 400)
const fakeCount = Number(process.env['BENCH_FAKES'] ?? 50)

function timed<T>(work: () => T): [T, number] {
  const start = performance.now()
  const result = work()
  return [result, (performance.now() - start) / 1000]
}

const round = (seconds: number): number => Math.round(seconds * 1000) / 1000

for (const size of sizes) {
  const options = {
    ...DEFAULT_MOCK_SKY,
    width: size,
    height: size,
    stars: Math.round((starsPerMpix * size * size) / 1e6),
    frames: 6,
    seed: 3,
  }
  const [frames, renderS] = timed(() => [1, 2, 3].map((n) => renderMockSkyFrame(options, 0, n)))
  const [reference, referenceS] = timed(() => buildReference(frames.map((f) => ({ image: f.image, cards: f.cards }))))
  const science = renderMockSkyFrame(options, 0, 5)
  const [, floorS] = timed(() => Float32Array.from(science.image.data))
  const [background, backgroundS] = timed(() => estimateBackground(science.image))
  const image = subtractBackground(science.image, background)
  const [psf, psfS] = timed(() => measurePsf(image, { fwhmGuess: 2.5, noise: background.rms, minSnr: 20 }))
  const [, detectS] = timed(() => detectSources(image, { fwhm: psf.fwhm, noise: background.rms }))
  const [search, searchS] = timed(() =>
    findTransients({ image: science.image, cards: science.cards }, reference, {
      fakes: { count: fakeCount, mags: [17, 21], zeroPoint: options.zeroPoint },
      seed: 2,
    }),
  )
  const injected = search.completeness.reduce((n, bin) => n + bin.injected, 0)
  const recovered = search.completeness.reduce((n, bin) => n + bin.recovered, 0)
  console.log(
    JSON.stringify({
      bench: 'diffim',
      size: `${size}x${size}`,
      stars: options.stars,
      renderFramesS: round(renderS / 3),
      referenceFrom3S: round(referenceS),
      backgroundS: round(backgroundS),
      psfS: round(psfS),
      detectS: round(detectS),
      findTransientsS: round(searchS),
      floorCopyS: round(floorS),
      ratioToFloor: Math.round(searchS / floorS),
      candidates: search.candidates,
      sources: search.sources.length,
      realChanges: search.sources.filter((s) => s.fake === null).length,
      fakesInjected: injected,
      fakesRecovered: recovered,
      completeness: search.completeness.map((bin) => ({ mags: bin.mags, fraction: round(bin.fraction) })),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  )
}
