import { describe, expect, it } from 'vitest'
import { createMemoryObjectLedger } from '../../../src/adapters/memory/memory-object-ledger.js'
import { associate } from '../../../src/analysis/association/associate.js'
import { objectLedgerDeps } from '../../../src/analysis/association/ledger-deps.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame } from '../../../src/analysis/sky/mock-sky.js'
import type { MockSkyOptions, TruthRow } from '../../../src/analysis/sky/mock-sky.js'
import { angularDistance } from '../../../src/analysis/sky-index/sky-zones.js'
import type { DetectionInput } from '../../../src/core/ports/object-ledger.js'

const ARCSEC = 1 / 3600
const SKY: MockSkyOptions = { ...DEFAULT_MOCK_SKY, width: 256, height: 256, stars: 20, frames: 10 }

/** Detections of the truth rows of every frame (present sources only), with 0.1″ of astrometric scatter. */
function skyDetections(): { detection: DetectionInput; truth: TruthRow }[][] {
  let seed = 3
  const noise = (): number => {
    seed = (seed * 16807) % 2147483647
    return (seed / 2147483647 - 0.5) * 0.2 * ARCSEC
  }
  return Array.from({ length: SKY.frames }, (_, index) => {
    const frame = renderMockSkyFrame(SKY, 0, index + 1)
    return frame.truth
      .filter((truth) => truth.flux > 0)
      .map((truth) => ({
        truth,
        detection: {
          imageId: index + 1,
          stream: 'mock',
          ra: truth.ra + noise() / Math.cos((truth.dec * Math.PI) / 180),
          dec: truth.dec + noise(),
          mjd: frame.mjd,
          filter: SKY.filter,
          psfFlux: truth.flux,
          psfFluxErr: Math.sqrt(truth.flux),
          snr: 50,
          realBogus: 0.9,
          kind: truth.kind === 'new' ? 'new_source' : 'brightening',
          x: truth.x,
          y: truth.y,
        },
      }))
  })
}

describe('association on the mock sky', () => {
  const frames = skyDetections()

  it('makes one object of the variable star and of the new source, and one per frame of the moving object', async () => {
    const ledger = createMemoryObjectLedger(objectLedgerDeps)
    const objectsOf = new Map<string, number[]>()
    for (const frame of frames) {
      const { objectIds } = await ledger.associate(frame.map(({ detection }) => detection))
      frame.forEach(({ truth }, index) => objectsOf.set(truth.id, [...(objectsOf.get(truth.id) ?? []), objectIds[index]!]))
    }
    const variable = objectsOf.get('field-a-var1')!
    const fresh = objectsOf.get('field-a-new1')!
    const moving = objectsOf.get('field-a-mov1')!
    expect(variable).toHaveLength(10)
    expect(new Set(variable).size).toBe(1)
    expect(fresh).toHaveLength(5)
    expect(new Set(fresh).size).toBe(1)
    expect(new Set(moving).size).toBe(10)
    const star = (await ledger.objects([variable[0]!])).get(variable[0]!)!
    expect(star.nDetections).toBe(10)
    const truth = frames[0]!.find(({ truth }) => truth.kind === 'variable')!.truth
    expect(angularDistance(star.ra, star.dec, truth.ra, truth.dec) * 3600).toBeLessThan(0.1)
    const history = await ledger.history(variable[0]!)
    expect(history.map((source) => source.imageId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it('gives the same objects when every frame comes in one batch, whatever its order', () => {
    const all = frames.flat()
    const forward = associate(
      all.map(({ detection }) => detection),
      [],
    )
    const shuffled = [...all].reverse()
    const backward = associate(
      shuffled.map(({ detection }) => detection),
      [],
    )
    const groups = (plan: ReturnType<typeof associate>, rows: typeof all): string[] =>
      plan.objects
        .map((_, at) =>
          rows
            .filter((_, index) => plan.assignment[index] === at)
            .map(({ truth }) => `${truth.id}@${truth.frame}`)
            .sort()
            .join(' '),
        )
        .sort()
    expect(forward.objects).toHaveLength(1 + 1 + 10)
    expect(groups(forward, all)).toEqual(groups(backward, shuffled))
  })

  it('joins the nearest object and moves its mean position by the mean of the detections', () => {
    const base = { imageId: null, stream: 's', filter: 'g', psfFluxErr: 2, snr: 5, realBogus: 1, kind: 'new_source', x: 0, y: 0 }
    const plan = associate(
      [
        { ...base, ra: 0, dec: 0, mjd: 2, psfFlux: 10 },
        { ...base, ra: 0, dec: 0.6 * ARCSEC, mjd: 3, psfFlux: 20 },
        { ...base, ra: 359.9999, dec: 0, mjd: 1, psfFlux: 30 },
      ],
      [
        {
          objectId: 7,
          ra: 359.99995,
          dec: 0,
          nDetections: 1,
          firstMjd: 0.5,
          lastMjd: 0.5,
          stream: 's',
          fluxes: { g: { n: 1, sum: 40, sumWeight: 0.25, sumWeightedFlux: 10 } },
        },
      ],
    )
    // 359.9999 (0.18″ from object 7) comes first in time and joins; 0,0 is then 0.18″ from its new mean and joins too;
    // 0.6″ north of 0,0 is within 1″ of the mean as well.
    expect(plan.objects).toHaveLength(1)
    const [object] = plan.objects
    expect(object).toMatchObject({ objectId: 7, nDetections: 4, firstMjd: 0.5, lastMjd: 3 })
    expect(object!.fluxes['g']).toEqual({ n: 4, sum: 100, sumWeight: 1, sumWeightedFlux: 25 })
    const meanRa = (359.99995 + 360 + 359.9999 + 360) / 4 - 360
    expect(angularDistance(object!.ra, object!.dec, meanRa, (0.6 * ARCSEC) / 4) * 3600).toBeLessThan(1e-6)
  })
})
