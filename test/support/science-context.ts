/**
 * Difference imaging for stage tests: the memory ScienceLedger and ObjectLedger, the science compute run inline (the
 * pool without worker threads: the same code on the test's thread), and mock-sky frames received as FITS files.
 */
import { createMemoryObjectLedger } from '../../src/adapters/memory/memory-object-ledger.js'
import { createMemoryScienceLedger } from '../../src/adapters/memory/memory-science-ledger.js'
import { objectLedgerDeps } from '../../src/analysis/association/ledger-deps.js'
import { writeFits } from '../../src/analysis/fits/fits-writer.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame, type MockSkyOptions, type TruthRow } from '../../src/analysis/sky/mock-sky.js'
import type { ScienceOptions } from '../../src/core/science-options.js'
import type { ImageRecord } from '../../src/core/types.js'
import type { Catalog } from '../../src/core/ports/catalog.js'
import { pooledScience, type PooledScience } from '../../src/stages/analyze/pooled-science.js'
import type { ScienceContext } from '../../src/stages/analyze/science-context.js'
import { ReceiveStage } from '../../src/stages/receive/receive-stage.js'
import type { StageContext } from '../../src/stages/stage-context.js'

export const TEST_SCIENCE_OPTIONS: ScienceOptions = { referenceFrames: 3, fakesPerImage: 5, detectionSnr: 5, realBogusMin: 0.5 }

export interface TestScience extends ScienceContext {
  readonly compute: PooledScience
}

export function memoryScience(options: Partial<ScienceOptions> = {}): TestScience {
  const filled = { ...TEST_SCIENCE_OPTIONS, ...options }
  return {
    ledger: createMemoryScienceLedger(),
    objects: createMemoryObjectLedger(objectLedgerDeps),
    compute: pooledScience(
      {
        worker: false,
        diffim: { fakes: filled.fakesPerImage, threshold: filled.detectionSnr, realBogusThreshold: filled.realBogusMin },
      },
      50_000_000,
    ),
    options: filled,
  }
}

/** A small mock sky (512², 8 frames: the new source appears in frame 5) that diffim handles in well under a second. */
export const TEST_SKY: MockSkyOptions = { ...DEFAULT_MOCK_SKY, width: 512, height: 512, stars: 120, frames: 8, seed: 7 }

/** Frame `frame` of the test sky received through the real receive stage (its FITS check fills the observation). */
export async function receiveSkyFrame(
  context: StageContext<Catalog>,
  frame: number,
  stream = 'sky',
): Promise<{ image: ImageRecord; truth: TruthRow[] }> {
  const rendered = renderMockSkyFrame(TEST_SKY, 0, frame)
  const bytes = Buffer.from(writeFits(rendered.image, rendered.cards))
  const outcome = await new ReceiveStage(context).receive({
    stream,
    imageNum: frame,
    filename: `image_${String(frame).padStart(5, '0')}.fits`,
    bytes,
    byteSize: bytes.length,
  })
  if (outcome.kind !== 'received') throw new Error(`frame ${frame} not received: ${outcome.kind}`)
  return { image: outcome.image, truth: rendered.truth }
}
