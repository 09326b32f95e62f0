/**
 * The science pool with its worker compiled from the sources (as the build emits it): a reference built in a worker,
 * a 2048² mock-sky frame analysed in a worker while the event loop keeps firing a timer; a small one giving what the
 * inline analyzer gives; the science pixels handed over (detached) or copied, the reference shared.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffimAnalyzer } from '../../../src/analysis/diffim/diffim-analyzer.js'
import { headerTextOf } from '../../../src/analysis/diffim/header-text.js'
import { decodeReferenceFile } from '../../../src/analysis/diffim/reference-file.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame, type MockSkyFrame } from '../../../src/analysis/sky/mock-sky.js'
import type { AnalyzerInput, AnalyzerReference } from '../../../src/core/ports/analyzer.js'
import type { ImageRecord } from '../../../src/core/types.js'
import { SciencePool } from '../../../src/stages/analyze/science-pool.js'
import { repoRoot } from '../../support/cli.js'

const sky = { ...DEFAULT_MOCK_SKY, width: 2048, height: 2048, stars: 1600, frames: 8, seed: 5 }

let dir: string
let workerUrl: URL

/** Transpiles src/core and src/analysis to ES modules under `out`, as tsc would emit them, with node_modules linked. */
async function transpile(out: string): Promise<void> {
  for (const folder of ['core', 'analysis']) {
    const entries = await readdir(path.join(repoRoot, 'src', folder), { recursive: true })
    for (const entry of entries) {
      if (!entry.endsWith('.ts')) continue
      const source = await readFile(path.join(repoRoot, 'src', folder, entry), 'utf8')
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
      })
      const target = path.join(out, folder, entry.replace(/\.ts$/, '.js'))
      await mkdir(path.dirname(target), { recursive: true })
      await writeFile(target, outputText)
    }
  }
  await writeFile(path.join(out, 'package.json'), '{"type":"module"}')
  // The worker imports piscina: resolve it from the repository's packages.
  await symlink(path.join(repoRoot, 'node_modules'), path.join(out, 'node_modules'))
}

function inputOf(frame: MockSkyFrame, imageId: number, reference: AnalyzerReference): AnalyzerInput {
  const record = { imageId, observation: { header: headerTextOf(frame.cards) } } as unknown as ImageRecord
  return { image: { record, pixels: frame.image }, previous: null, reference }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-science-worker-'))
  await transpile(dir)
  workerUrl = pathToFileURL(path.join(dir, 'analysis', 'diffim', 'diffim-worker.js'))
})

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

describe('the science pool', () => {
  it('runs without the compiled worker inline, and in worker threads with it', async () => {
    const inline = new SciencePool({ workerUrl: pathToFileURL(path.join(dir, 'no-such-worker.js')) })
    expect(inline.inWorker).toBe(false)
    await inline.close()
    const pool = new SciencePool({ workerUrl, threads: 2 })
    expect(pool.inWorker).toBe(true)
    expect(pool.threads).toBe(2)
    await pool.close()
  })

  // Minutes on a loaded machine: a 2048² reference and analysis are ~10 s of CPU.
  it('builds a reference and analyses a 2048² frame in a worker while the event loop keeps turning', async () => {
    const pool = new SciencePool({ workerUrl, threads: 2 })
    try {
      const frames = [1, 2].map((n) => renderMockSkyFrame(sky, 0, n))
      const file = await pool.buildReference(frames.map((f) => ({ image: f.image, header: headerTextOf(f.cards) })))
      // The frames' pixels went to the worker: their buffers are detached here.
      expect(frames[0]!.image.data.length).toBe(0)
      const reference = decodeReferenceFile(file, 11, 2048 * 2048)
      expect(reference.frames).toBe(2)

      const science = renderMockSkyFrame(sky, 0, 6)

      let longest = 0
      let ticks = 0
      let last = performance.now()
      const timer = setInterval(() => {
        const now = performance.now()
        longest = Math.max(longest, now - last)
        last = now
        ticks += 1
      }, 5)
      const started = performance.now()
      let output
      try {
        output = await pool.analyze(inputOf(science, 6, reference))
        longest = Math.max(longest, performance.now() - last)
      } finally {
        clearInterval(timer)
      }
      const seconds = (performance.now() - started) / 1000
      // Seconds of pixel work, and the loop never stalled for more than a fraction of a second of it.
      expect(seconds).toBeGreaterThan(0.5)
      expect(longest, `longest stall ${Math.round(longest)} ms in ${seconds.toFixed(1)} s`).toBeLessThan(250)
      expect(ticks).toBeGreaterThan(10)
      expect(science.image.data.length).toBe(0)
      // The new source (frame 6 ≥ 5) at least, and a subtraction close to pure noise.
      expect(output.detections!.length).toBeGreaterThan(0)
      expect(output.events).toHaveLength(1)
      expect(output.measurements.l2Norm).toBeLessThan(1.5)
    } finally {
      await pool.close()
    }
  }, 400_000)

  it('gives what the inline analyzer gives, and keeps the science pixels when told to copy them', async () => {
    const pool = new SciencePool({ workerUrl, threads: 1 })
    try {
      const small = { ...sky, width: 256, height: 256, stars: 40 }
      const frames = [1, 2].map((n) => renderMockSkyFrame(small, 0, n))
      const file = await pool.buildReference(frames.map((f) => ({ image: f.image, header: headerTextOf(f.cards) })))
      const reference = decodeReferenceFile(file, 12, 256 * 256)
      const science = renderMockSkyFrame(small, 0, 7)
      const output = await pool.analyze(inputOf(science, 7, reference), { keepPixels: true })
      expect(science.image.data.length).toBe(256 * 256)
      const inline = await diffimAnalyzer().analyze(inputOf(science, 7, reference))
      expect(output.detections!.length).toBeGreaterThan(0)
      expect(output.detections).toEqual(inline.detections)
      expect(output.measurements).toEqual(inline.measurements)
      expect(output.run!.fakes).toEqual(inline.run!.fakes)
      expect(output.derivatives.map((d) => [d.name, d.bytes.length])).toEqual(inline.derivatives.map((d) => [d.name, d.bytes.length]))
    } finally {
      await pool.close()
    }
  })
})
