import { describe, expect, it } from 'vitest'
import { addSensorNoise } from '../../src/analysis/sensor-noise.js'

describe('addSensorNoise', () => {
  const flat = new Uint8Array(200_000).fill(128)

  it('has about the asked standard deviation and no bias', () => {
    const noisy = addSensorNoise(flat, 5, 7)
    let sum = 0
    let squares = 0
    for (const value of noisy) {
      sum += value - 128
      squares += (value - 128) ** 2
    }
    const mean = sum / noisy.length
    const sigma = Math.sqrt(squares / noisy.length - mean ** 2)
    expect(Math.abs(mean)).toBeLessThan(0.1)
    expect(sigma).toBeGreaterThan(4.7)
    expect(sigma).toBeLessThan(5.3)
  })

  it('is deterministic per seed and differs between seeds', () => {
    expect(addSensorNoise(flat, 5, 3)).toEqual(addSensorNoise(flat, 5, 3))
    expect(addSensorNoise(flat, 5, 3)).not.toEqual(addSensorNoise(flat, 5, 4))
  })

  it('clamps to 0..255, copies without noise, and refuses a silly sigma', () => {
    const edges = new Uint8Array([0, 255, 0, 255, 0, 255])
    for (const value of addSensorNoise(edges, 40, 1)) expect(value >= 0 && value <= 255).toBe(true)
    expect([...addSensorNoise(edges, 0, 1)]).toEqual([...edges])
    expect(() => addSensorNoise(edges, 65, 1)).toThrow(RangeError)
    expect(() => addSensorNoise(edges, Number.NaN, 1)).toThrow(RangeError)
  })
})
