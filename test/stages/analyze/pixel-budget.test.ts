import { describe, expect, it } from 'vitest'
import { analysisPixelBytes, PixelBudget } from '../../../src/stages/analyze/pixel-budget.js'

/** Runs jobs of the given sizes at once on a budget and records the most bytes held together. */
async function peakOf(budget: PixelBudget, sizes: number[]): Promise<{ peak: number; order: number[] }> {
  let held = 0
  let peak = 0
  const order: number[] = []
  await Promise.all(
    sizes.map((bytes, index) =>
      budget.run(bytes, async () => {
        held += bytes
        peak = Math.max(peak, held)
        order.push(index)
        await new Promise((resolve) => setTimeout(resolve, 5))
        held -= bytes
      }),
    ),
  )
  return { peak, order }
}

describe('PixelBudget', () => {
  it('lets small analyses run together', async () => {
    expect((await peakOf(new PixelBudget(100, 1), [10, 10, 10, 10])).peak).toBe(40)
  })

  it('makes large analyses take turns, in arrival order', async () => {
    expect(await peakOf(new PixelBudget(100, 1), [60, 60, 60])).toEqual({ peak: 60, order: [0, 1, 2] })
  })

  it('lets no small analysis overtake a large one that waits (no starvation)', async () => {
    expect((await peakOf(new PixelBudget(100, 1), [60, 50, 10])).order).toEqual([0, 1, 2])
  })

  it('runs an analysis larger than the whole budget alone instead of never', async () => {
    expect((await peakOf(new PixelBudget(100, 1), [500, 10])).peak).toBe(500)
  })

  it('counts in whole MiB by default: a 350 px analysis (1.1 MB) takes two, so 100 of them fit 200 MiB', async () => {
    const budget = new PixelBudget(200 * 1024 * 1024)
    const sizes = Array.from({ length: 200 }, () => analysisPixelBytes(350, 350))
    expect((await peakOf(budget, sizes)).peak).toBe(100 * analysisPixelBytes(350, 350))
  })

  it('counts an image, its predecessor and their difference, 3 bytes per pixel each', () => {
    expect(analysisPixelBytes(7000, 7000)).toBe(441_000_000)
    expect(analysisPixelBytes(null, 10)).toBe(0)
  })

  it('counts a FITS image as float32 pixels of it and its predecessor and the 8-bit RGB preview of their difference', () => {
    expect(analysisPixelBytes(4096, 4096, 'fits')).toBe((4 + 4 + 3) * 4096 * 4096)
    expect(analysisPixelBytes(4096, 4096, 'jpeg')).toBe(analysisPixelBytes(4096, 4096))
  })
})
