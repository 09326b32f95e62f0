import { describe, expect, it } from 'vitest'
import { PixelGate } from '../../../src/stages/analyze/pixel-gate.js'

/** Whether a promise has settled, after letting pending callbacks run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  void promise.then(() => (done = true))
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

describe('PixelGate', () => {
  it('admits analyses while their bytes fit, then each in arrival order as room is given back', async () => {
    const gate = new PixelGate(100)
    const first = await gate.acquire(60)
    const second = await gate.acquire(40)
    const third = gate.acquire(50)
    const fourth = gate.acquire(10) // would fit after the third, but does not overtake it
    expect(await settled(third)).toBe(false)
    expect(await settled(fourth)).toBe(false)
    first()
    first() // giving back twice gives back once
    expect(await settled(third)).toBe(true)
    expect(await settled(fourth)).toBe(true)
    expect(gate.held).toBe(100)
    second()
    ;(await third)()
    ;(await fourth)()
    expect(gate.held).toBe(0)
  })

  it('runs an analysis larger than the budget alone, once nothing else holds any', async () => {
    const gate = new PixelGate(100)
    const small = await gate.acquire(10)
    const huge = gate.acquire(500)
    expect(await settled(huge)).toBe(false)
    small()
    const release = await huge
    expect(gate.held).toBe(500)
    const next = gate.acquire(1)
    expect(await settled(next)).toBe(false)
    release()
    expect(await settled(next)).toBe(true)
  })
})
