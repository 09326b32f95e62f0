/**
 * The `diffim` analyzer on mock-sky frames with their truth table: every change bright enough (S/N ≥ 10) is a
 * detection at its true sky position with its true flux, no static star is, fakes never are; its stamps are valid
 * FITS whose WCS puts the detection at the centre pixel (fitsverify and astropy at test time); the reference file
 * round-trips; and run in the science pool, the same work leaves the event loop free.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildReference } from '../../../src/analysis/diffim/build-reference.js'
import { diffimAnalyzer } from '../../../src/analysis/diffim/diffim-analyzer.js'
import { cardsOfHeaderText, headerTextOf } from '../../../src/analysis/diffim/header-text.js'
import { decodeReferenceFile, encodeReferenceFile } from '../../../src/analysis/diffim/reference-file.js'
import { readFits } from '../../../src/analysis/fits/fits-reader.js'
import { DEFAULT_MOCK_SKY, mockSkyCatalogue, renderMockSkyFrame, type MockSkyFrame } from '../../../src/analysis/sky/mock-sky.js'
import type { AnalyzerInput, AnalyzerOutput, AnalyzerReference } from '../../../src/core/ports/analyzer.js'
import type { ImageRecord } from '../../../src/core/types.js'
import { hasPythonModule, pythonJson, runTool } from '../../support/python-oracle.js'

// 14 frames: the new source appears at frame 8; the variable has the same flux (×1.52) in frames 1, 2 and 7, the
// reference's, so its change in a science frame is known exactly whatever the stack's outlier rejection keeps.
const sky = { ...DEFAULT_MOCK_SKY, width: 512, height: 512, stars: 250, frames: 14, seed: 21 }
const REFERENCE_FRAMES = [1, 2, 7]
const MAX_PIXELS = 4096 * 4096

function arcsec(a: { ra: number; dec: number }, b: { ra: number; dec: number }): number {
  return Math.hypot((a.ra - b.ra) * Math.cos((b.dec * Math.PI) / 180), a.dec - b.dec) * 3600
}

/** The frame as the analyze stage hands it over: its row (with the header text) and its float pixels. */
export function inputOf(frame: MockSkyFrame, imageId: number, reference: AnalyzerReference): AnalyzerInput {
  const record = { imageId, observation: { header: headerTextOf(frame.cards) } } as unknown as ImageRecord
  return { image: { record, pixels: frame.image }, previous: null, reference }
}

let reference: AnalyzerReference
let referenceFrames: MockSkyFrame[]

beforeAll(() => {
  referenceFrames = REFERENCE_FRAMES.map((n) => renderMockSkyFrame(sky, 0, n))
  const built = buildReference(referenceFrames.map((f) => ({ image: f.image, cards: f.cards })))
  // Through the file, as the stage gets it from the object store.
  reference = decodeReferenceFile(encodeReferenceFile(built), 7, MAX_PIXELS)
})

describe('the diffim analyzer on the mock sky', () => {
  const outputs = new Map<number, { frame: MockSkyFrame; output: AnalyzerOutput }>()

  beforeAll(async () => {
    const analyzer = diffimAnalyzer()
    for (const [frameNumber, imageId] of [
      [8, 108],
      [9, 109],
      [11, 111],
    ] as const) {
      const frame = renderMockSkyFrame(sky, 0, frameNumber)
      outputs.set(frameNumber, { frame, output: await analyzer.analyze(inputOf(frame, imageId, reference)) })
    }
  }, 120_000)

  it('finds every new source, variable star and moving object with S/N ≥ 10 within 1 px and 0.5″, flux within 3σ', () => {
    // The reference's flux of each changing source: the mean of its fluxes in the reference frames.
    const referenceFlux = (truth: { id: string; ra: number; dec: number }): number => {
      const rows = referenceFrames.map((f) => f.truth.find((t) => t.id === truth.id)!)
      // A moving object is elsewhere in every reference frame: nothing at its science position.
      return rows.some((t) => arcsec(t, truth) > 2) ? 0 : rows.reduce((sum, t) => sum + t.flux, 0) / rows.length
    }
    let checked = 0
    for (const { frame, output } of outputs.values()) {
      for (const truth of frame.truth) {
        const change = truth.flux - referenceFlux(truth)
        const near = output.detections!.find((d) => Math.hypot(d.x - truth.x, d.y - truth.y) <= 1)
        // S/N from the error the analyzer measured there, or the typical error of a detection when nothing is there.
        const error = near?.psfFluxErr ?? Math.min(...output.detections!.map((d) => d.psfFluxErr))
        if (Math.abs(change) / error < 10) continue
        checked += 1
        expect(near, `${truth.kind} ${truth.id} in frame ${frame.frame} (change ${change.toFixed(0)} ADU)`).toBeDefined()
        expect(arcsec(near!, truth)).toBeLessThan(0.5)
        expect(Math.abs(near!.psfFlux - change), `${truth.id}: ${near!.psfFlux} ± ${near!.psfFluxErr} vs ${change}`).toBeLessThan(
          3 * near!.psfFluxErr,
        )
        expect(near!.kind).toBe(change < 0 ? 'fading' : truth.kind === 'variable' ? 'brightening' : 'new_source')
      }
    }
    // The new source and the moving object in each frame, the variable where it changed (frames 9 and 11).
    expect(checked).toBeGreaterThanOrEqual(8)
  })

  it('detects no static star, and no fake among the detections', () => {
    const catalogue = mockSkyCatalogue(sky)
    for (const { frame, output } of outputs.values()) {
      for (const d of output.detections!) {
        const star = catalogue.find((s) => arcsec(d, s) < 2)
        expect(
          star,
          `frame ${frame.frame}: detection at ${d.x.toFixed(1)}, ${d.y.toFixed(1)} (S/N ${d.snr.toFixed(1)}, rb ${d.realBogus.toFixed(2)}, nneg ${d.nneg}, fwhm ${d.fwhm.toFixed(2)}) is static star ${star?.id} of ${star?.flux.toFixed(0)} ADU`,
        ).toBeUndefined()
        for (const fake of output.run!.fakes) expect(Math.hypot(fake.x - d.x, fake.y - d.y)).toBeGreaterThan(1.5)
      }
      const changes = frame.truth.map((t) => t.id)
      expect(changes.length).toBe(3)
    }
  })

  it('records the run: fakes injected and mostly recovered above S/N 10, an event with its derivatives', () => {
    const { output } = outputs.get(8)!
    const run = output.run!
    expect(run.referenceId).toBe(7)
    expect(run.psfMethod).toBe('least-squares-kernel')
    expect(run.fakes).toHaveLength(20)
    const bright = run.fakes.filter((f) => f.expectedSnr >= 10)
    expect(bright.length).toBeGreaterThan(3)
    expect(bright.filter((f) => f.recovered).length / bright.length).toBeGreaterThanOrEqual(0.9)
    for (const fake of bright.filter((f) => f.recovered)) expect(Math.abs(fake.measuredFlux! / fake.flux - 1)).toBeLessThan(0.2)
    expect(run.detections).toBe(output.detections!.length)
    expect(output.events).toEqual([{ eventType: output.detections![0]!.kind, derivative: 'difference.jpg' }])
    const names = output.derivatives.map((d) => d.name)
    expect(names.slice(0, 3)).toEqual(['difference.jpg', 'difference.fits', 'noise.fits'])
    expect(output.derivatives.filter((d) => d.detection === 0).map((d) => d.name)).toEqual([
      'stamp-0-science.fits',
      'stamp-0-reference.fits',
      'stamp-0-difference.fits',
      'stamp-0-science.png',
      'stamp-0-reference.png',
      'stamp-0-difference.png',
    ])
    const jpeg = output.derivatives[0]!.bytes
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff])
    // Most significant first.
    const snrs = output.detections!.map((d) => Math.abs(d.snr))
    expect([...snrs].sort((a, b) => b - a)).toEqual(snrs)
    // The image row's figures: a clean subtraction is close to pure noise.
    expect(output.measurements.l2Norm).toBeGreaterThan(0.8)
    expect(output.measurements.l2Norm).toBeLessThan(1.5)
    expect(output.measurements.changedFraction).toBeLessThan(0.01)
  })

  it('gives the same output for the same image (fakes seeded by the image id)', async () => {
    const { frame, output } = outputs.get(9)!
    const again = await diffimAnalyzer().analyze(inputOf(frame, 109, reference))
    expect(again.detections).toEqual(output.detections)
    expect(again.run!.fakes).toEqual(output.run!.fakes)
  })

  describe.skipIf(!hasPythonModule('astropy', 'python3-astropy'))('stamps', () => {
    let dir: string
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-stamps-'))
    })
    afterAll(async () => {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    })

    it('are 63×63 float32 FITS that fitsverify passes, whose WCS puts the detection at the centre pixel (astropy)', async () => {
      const { output } = outputs.get(8)!
      const files: { path: string; ra: number; dec: number; x: number; y: number }[] = []
      for (const derivative of output.derivatives.filter((d) => d.detection !== undefined && d.name.endsWith('.fits'))) {
        const file = path.join(dir, derivative.name)
        await writeFile(file, derivative.bytes)
        const detection = output.detections![derivative.detection!]!
        files.push({ path: file, ra: detection.ra, dec: detection.dec, x: detection.x, y: detection.y })
        const { code, output: report } = await runTool('fitsverify', [file])
        expect(report, derivative.name).toMatch(/Verification found 0 warning\(s\) and 0 error\(s\)/)
        expect(code).toBe(0)
        const stamp = readFits(derivative.bytes, { maxPixels: MAX_PIXELS })
        expect([stamp.image.width, stamp.image.height]).toEqual([63, 63])
      }
      expect(files.length).toBe(3 * Math.min(20, output.detections!.length))
      const answers = await pythonJson<{ x: number; y: number; bitpix: number }[]>(
        String.raw`
import json, sys, warnings
from astropy.io import fits
from astropy.wcs import WCS
warnings.simplefilter('ignore')
out = []
for case in json.load(sys.stdin):
    with fits.open(case['path']) as hdul:
        h = hdul[0].header
        x, y = WCS(h).all_world2pix([[case['ra'], case['dec']]], 0, tolerance=1e-10)[0]
        out.append({'x': float(x), 'y': float(y), 'bitpix': h['BITPIX']})
print(json.dumps(out))
`,
        files,
      )
      answers.forEach((answer, i) => {
        const file = files[i]!
        expect(answer.bitpix).toBe(-32)
        // The centre pixel (31, 31) holds the detection: within half a pixel, exactly where its sub-pixel centroid says.
        expect(Math.abs(answer.x - 31), file.path).toBeLessThanOrEqual(0.5)
        expect(Math.abs(answer.y - 31), file.path).toBeLessThanOrEqual(0.5)
        expect(answer.x - 31).toBeCloseTo(file.x - Math.round(file.x), 3)
        expect(answer.y - 31).toBeCloseTo(file.y - Math.round(file.y), 3)
      })
    })
  })
})

describe('the reference file', () => {
  it('round-trips the pixels, the noise map, the WCS, the FWHM and the frame count', () => {
    const built = buildReference(referenceFrames.map((f) => ({ image: f.image, cards: f.cards })))
    const file = decodeReferenceFile(encodeReferenceFile(built), 3, MAX_PIXELS)
    expect(file.referenceId).toBe(3)
    expect(file.frames).toBe(3)
    expect(file.fwhm).toBe(built.psf.fwhm)
    expect(file.image.data).toEqual(built.image.data)
    expect(file.noise.data).toEqual(built.noise.data)
    const cards = cardsOfHeaderText(file.header)
    for (const keyword of ['CRPIX1', 'CRVAL1', 'CD1_1', 'A_2_0', 'CTYPE1']) {
      expect(cards.find((c) => c.keyword === keyword)?.value).toEqual(built.cards.find((c) => c.keyword === keyword)?.value)
    }
  })
})
