/**
 * `npm run bench:science`: the `diffim` analyzer's figures of issue 18, one JSON line each.
 *
 * 1. `steps`: one 4096×4096 float32 mock-sky frame with ~5,000 stars against its reference (built from 3 frames,
 *    not timed as a step): background, PSF, alignment (Lanczos resampling of the reference and its noise), PSF
 *    matching + subtraction, detection, measurement, real-bogus, and the products (difference/noise FITS, stamps,
 *    previews) — seconds per step on one core, the same calls findTransients makes; then the whole analyzer
 *    (`analyzerS`, fakes and JPEG/PNG encoding included) and its peak RSS.
 * 2. `completeness`: BENCH_NOISE_IMAGES (default 4; 0 skips it) 2048² frames of pure noise but for the mock sky's three known
 *    changes, each with BENCH_FAKES (default 200) fakes at S/N 2–30: recovered fraction per S/N bin, the S/N at 50 %
 *    and 80 % recovery (linear between bins), and false detections per image (detections not at a known change).
 * 3. `analysisRss`: the analysis alone in a child process — one science frame and its reference (read from files the
 *    first part wrote) through SciencePool, as an analyze process runs it — and that process's peak RSS (VmHWM, as
 *    bench-support.ts reads it): the bench process's own peak counts the reference frames and every step's leftovers.
 * BENCH_SIZE (default 4096) and BENCH_STARS (default 5000) change the first and third parts.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { estimateBackground, subtractBackground } from '../src/analysis/diffim/background.js'
import { buildReference } from '../src/analysis/diffim/build-reference.js'
import { detectSources } from '../src/analysis/diffim/detect.js'
import { diffimAnalyzer } from '../src/analysis/diffim/diffim-analyzer.js'
import { diffimProducts } from '../src/analysis/diffim/diffim-products.js'
import { cardsOfHeaderText, headerTextOf } from '../src/analysis/diffim/header-text.js'
import { measureSources } from '../src/analysis/diffim/measure.js'
import { measurePsf } from '../src/analysis/diffim/psf-measure.js'
import { realBogusOptions, realBogusScore } from '../src/analysis/diffim/real-bogus.js'
import { decodeReferenceFile, encodeReferenceFile } from '../src/analysis/diffim/reference-file.js'
import { resampleAll } from '../src/analysis/diffim/resample.js'
import { subtractImages } from '../src/analysis/diffim/subtract.js'
import { headerLookup } from '../src/analysis/fits/header-card.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame, type MockSkyFrame } from '../src/analysis/sky/mock-sky.js'
import { readWcs } from '../src/analysis/wcs/wcs.js'
import type { AnalyzerInput, AnalyzerReference } from '../src/core/ports/analyzer.js'
import { SciencePool } from '../src/stages/analyze/science-pool.js'
import type { FakeRecord } from '../src/core/ports/science-ledger.js'
import type { ImageRecord } from '../src/core/types.js'

const size = Number(process.env['BENCH_SIZE'] ?? 4096)
const stars = Number(process.env['BENCH_STARS'] ?? 5000)
const noiseImages = Number(process.env['BENCH_NOISE_IMAGES'] ?? 4)
const fakeCount = Number(process.env['BENCH_FAKES'] ?? 200)

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits
const rssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024)

/** CPU seconds of this process (user + system): the figure "on one core" means on a machine others share. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}

const cpu: Record<string, number> = {}

/** Runs `work`, returns its result and wall seconds, and records its CPU seconds under `name`. */
function timed<T>(work: () => T, name?: string): [T, number] {
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const result = work()
  if (name !== undefined) cpu[name] = round(cpuSeconds() - cpuStart)
  return [result, (performance.now() - start) / 1000]
}

/** The reference file's bytes of the last referenceOf, for the analysis child. */
let lastReferenceFile: Uint8Array | null = null

function referenceOf(frames: readonly MockSkyFrame[], referenceId: number): AnalyzerReference {
  const built = buildReference(frames.map((f) => ({ image: f.image, cards: f.cards })))
  lastReferenceFile = encodeReferenceFile(built)
  return decodeReferenceFile(lastReferenceFile, referenceId, size * size)
}

function inputOf(frame: MockSkyFrame, imageId: number, reference: AnalyzerReference): AnalyzerInput {
  const record = { imageId, observation: { header: headerTextOf(frame.cards) } } as unknown as ImageRecord
  return { image: { record, pixels: frame.image }, previous: null, reference }
}

async function steps(): Promise<void> {
  const sky = { ...DEFAULT_MOCK_SKY, width: size, height: size, stars, frames: 8, seed: 3 }
  const [reference, referenceS] = timed(
    () =>
      referenceOf(
        [1, 2, 3].map((n) => renderMockSkyFrame(sky, 0, n)),
        1,
      ),
    'referenceFrom3',
  )
  const science = renderMockSkyFrame(sky, 0, 6)
  const cards = science.cards
  writeFileSync(path.join(childDir, 'reference.fits'), lastReferenceFile!)
  writeFileSync(path.join(childDir, 'science.f32'), science.image.data)
  writeFileSync(path.join(childDir, 'science.hdr'), headerTextOf(cards))
  lastReferenceFile = null
  const [referencePsf, referencePsfS] = timed(
    () => measurePsf(reference.image, { fwhmGuess: 2.5, noise: reference.noise, minSnr: 20 }),
    'referencePsf',
  )
  // The steps of findTransients, one at a time.
  const [background, backgroundS] = timed(() => estimateBackground(science.image), 'background')
  const image = subtractBackground(science.image, background)
  const [psf, psfS] = timed(() => measurePsf(image, { fwhmGuess: 2.5, noise: background.rms, minSnr: 20 }), 'psf')
  const scienceWcs = readWcs(headerLookup(cards))
  const referenceWcs = readWcs(headerLookup(cardsOfHeaderText(reference.header)))
  const sky2: [number, number] = [0, 0]
  const map = (x: Float64Array, y: Float64Array): void => {
    for (let i = 0; i < x.length; i++) {
      scienceWcs.pixelToSkyInto(x[i]!, y[i]!, sky2)
      referenceWcs.skyToPixelInto(sky2[0], sky2[1], sky2)
      x[i] = sky2[0]
      y[i] = sky2[1]
    }
  }
  const [aligned, alignS] = timed(() => {
    const [alignedImage, alignedNoise] = resampleAll([reference.image, reference.noise], size, size, map)
    return { image: alignedImage!, noise: alignedNoise! }
  }, 'align')
  const [subtraction, subtractS] = timed(
    () => subtractImages({ image, noise: background.rms, psf }, { image: aligned.image, noise: aligned.noise, psf: referencePsf }),
    'psfMatchSubtract',
  )
  const [found, detectS] = timed(
    () => detectSources(subtraction.difference, { fwhm: subtraction.psf.fwhm, noise: subtraction.noise, threshold: 5 }),
    'detect',
  )
  const [measured, measureS] = timed(
    () => measureSources(subtraction.difference, found.detections, { psf: subtraction.psf, noise: subtraction.noise }),
    'measure',
  )
  const rb = realBogusOptions(subtraction.psf)
  const [passed, realBogusS] = timed(() => measured.filter((m) => realBogusScore(m, rb) >= 0.5).length, 'realBogus')
  // The whole pixel work (fakes, sky positions, products) with the reference PSF cached, as the pool's workers have it.
  const request = {
    imageId: 6,
    science: science.image,
    scienceHeader: headerTextOf(cards),
    reference: { referenceId: 1, image: reference.image, noise: reference.noise, header: reference.header },
    referencePsf,
  }
  const [products, productsS] = timed(() => diffimProducts(request), 'productsWithFakes')
  const fitsBytes = products.fits.reduce((sum, p) => sum + p.bytes.length, 0)
  const stampCount = products.fits.filter((p) => p.detection !== undefined).length
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const output = await diffimAnalyzer().analyze(inputOf(science, 6, reference))
  const analyzerS = (performance.now() - start) / 1000
  // Includes sharp's JPEG/PNG encoding on libuv's threads.
  const analyzerCpuS = cpuSeconds() - cpuStart
  console.log(
    JSON.stringify({
      bench: 'science',
      part: 'steps',
      size: `${size}x${size}`,
      stars,
      referenceFrom3S: round(referenceS),
      referencePsfS: round(referencePsfS),
      backgroundS: round(backgroundS),
      psfS: round(psfS),
      alignS: round(alignS),
      psfMatchSubtractS: round(subtractS),
      detectS: round(detectS),
      measureS: round(measureS),
      realBogusS: round(realBogusS),
      stepsTotalS: round(backgroundS + psfS + alignS + subtractS + detectS + measureS + realBogusS),
      // CPU seconds per step: what the wall seconds would be on an idle core (the machine's load is printed too).
      cpuS: cpu,
      wallS: {
        background: round(backgroundS),
        psf: round(psfS),
        align: round(alignS),
        psfMatchSubtract: round(subtractS),
        detect: round(detectS),
        measure: round(measureS),
        realBogus: round(realBogusS),
      },
      stepsTotalCpuS: round(
        ['background', 'psf', 'align', 'psfMatchSubtract', 'detect', 'measure', 'realBogus'].reduce((sum, k) => sum + (cpu[k] ?? 0), 0),
      ),
      loadAverage: os.loadavg().map((v) => round(v, 1)),
      cores: os.availableParallelism(),
      productsWithFakesS: round(productsS),
      analyzerS: round(analyzerS),
      analyzerCpuS: round(analyzerCpuS),
      psfMethod: products.run.psfMethod,
      candidates: found.detections.length,
      passedRealBogus: passed,
      detections: output.detections?.length ?? 0,
      stampsFits: stampCount,
      fitsMb: round(fitsBytes / 1e6, 1),
      derivatives: output.derivatives.length,
      scienceFwhm: round(psf.fwhm),
      referenceFwhm: round(referencePsf.fwhm),
      peakRssMb: rssMb(),
    }),
  )
}

/** Recovered fraction per S/N bin and the S/N where recovery crosses 50 % and 80 %. */
function completenessOf(fakes: readonly FakeRecord[]): { bins: object[]; snr50: number | null; snr80: number | null } {
  const edges = [2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30]
  const bins = edges.slice(0, -1).map((lo, i) => {
    const hi = edges[i + 1]!
    const inBin = fakes.filter((f) => f.expectedSnr >= lo && f.expectedSnr < hi)
    const recovered = inBin.filter((f) => f.recovered).length
    return { snr: [lo, hi], injected: inBin.length, recovered, fraction: inBin.length > 0 ? recovered / inBin.length : null }
  })
  const crossing = (level: number): number | null => {
    let previous: { mid: number; fraction: number } | null = null
    for (const bin of bins) {
      if (bin.fraction === null) continue
      const mid = (bin.snr[0]! + bin.snr[1]!) / 2
      if (bin.fraction >= level) {
        if (previous === null) return mid
        return round(previous.mid + ((level - previous.fraction) / (bin.fraction - previous.fraction)) * (mid - previous.mid), 2)
      }
      previous = { mid, fraction: bin.fraction }
    }
    return null
  }
  return {
    bins: bins.map((b) => ({ ...b, fraction: b.fraction === null ? null : round(b.fraction) })),
    snr50: crossing(0.5),
    snr80: crossing(0.8),
  }
}

async function completeness(): Promise<void> {
  const noise = { ...DEFAULT_MOCK_SKY, width: 2048, height: 2048, stars: 0, frames: 3 + noiseImages, seed: 17 }
  const referenceFrames = [1, 2, 3].map((n) => renderMockSkyFrame(noise, 0, n))
  const referenceTruth = referenceFrames.flatMap((f) => f.truth)
  const reference = referenceOf(referenceFrames, 2)
  referenceFrames.length = 0
  const analyzer = diffimAnalyzer({ fakes: fakeCount, fakeSnr: [2, 30] })
  const fakes: FakeRecord[] = []
  let falseDetections = 0
  let seconds = 0
  for (let n = 4; n < 4 + noiseImages; n++) {
    const frame = renderMockSkyFrame(noise, 0, n)
    const start = cpuSeconds()
    const output = await analyzer.analyze(inputOf(frame, 1000 + n, reference))
    seconds += cpuSeconds() - start
    fakes.push(...output.run!.fakes)
    // A known change (the new source, the variable, the moving object, or where the moving object was in the
    // reference frames) is not a false detection.
    const known = [...frame.truth, ...referenceTruth].filter((t) => t.flux > 0)
    falseDetections += output.detections!.filter((d) => !known.some((t) => arcsec(d, t) < 3)).length
  }
  const { bins, snr50, snr80 } = completenessOf(fakes)
  const bright = fakes.filter((f) => f.expectedSnr >= 10)
  console.log(
    JSON.stringify({
      bench: 'science',
      part: 'completeness',
      size: '2048x2048',
      images: noiseImages,
      fakesPerImage: fakeCount,
      cpuSecondsPerImage: round(seconds / noiseImages),
      recoveredAtSnr10Plus: round(bright.filter((f) => f.recovered).length / bright.length),
      snrAt50: snr50,
      snrAt80: snr80,
      falseDetectionsPerImage: round(falseDetections / noiseImages, 2),
      bins,
      peakRssMb: rssMb(),
    }),
  )
}

function arcsec(a: { ra: number; dec: number }, b: { ra: number; dec: number }): number {
  return Math.hypot((a.ra - b.ra) * Math.cos((b.dec * Math.PI) / 180), a.dec - b.dec) * 3600
}

/** Runs in the child: the analysis of the files `steps` wrote, then this process's peak RSS. */
async function analysisChild(dir: string): Promise<void> {
  const reference = decodeReferenceFile(readFileSync(path.join(dir, 'reference.fits')), 1, size * size)
  const bytes = readFileSync(path.join(dir, 'science.f32'))
  const pixels = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
  const header = readFileSync(path.join(dir, 'science.hdr'), 'utf8')
  const record = { imageId: 6, observation: { header } } as unknown as ImageRecord
  const pool = new SciencePool({ threads: 1 })
  const start = performance.now()
  const cpuStart = cpuSeconds()
  const output = await pool.analyze({ image: { record, pixels: { width: size, height: size, data: pixels } }, previous: null, reference })
  const seconds = (performance.now() - start) / 1000
  const cpuS = cpuSeconds() - cpuStart
  await pool.close()
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
  console.log(
    JSON.stringify({
      inWorker: pool.inWorker,
      seconds: round(seconds),
      cpuS: round(cpuS),
      detections: output.detections?.length ?? 0,
      peakRssMb: hwm === null ? null : Math.round(Number(hwm[1]) / 1024),
    }),
  )
}

async function analysisRss(): Promise<void> {
  const child = spawn(process.execPath, [process.argv[1]!, '--analysis-child', childDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  if (code !== 0) throw new Error(`analysis child failed (${code})`)
  console.log(JSON.stringify({ bench: 'science', part: 'analysisRss', size: `${size}x${size}`, stars, ...JSON.parse(stdout) }))
}

const childDir = process.argv[2] === '--analysis-child' ? process.argv[3]! : mkdtempSync(path.join(os.tmpdir(), 'science-bench-'))
if (process.argv[2] === '--analysis-child') {
  await analysisChild(childDir)
} else {
  try {
    await steps()
    await analysisRss()
    if (noiseImages > 0) await completeness()
  } finally {
    rmSync(childDir, { recursive: true, force: true })
  }
}
