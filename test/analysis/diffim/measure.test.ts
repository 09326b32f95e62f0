import { describe, expect, it } from 'vitest'
import { measureOne, shiftedKernel } from '../../../src/analysis/diffim/measure.js'
import type { PsfModel } from '../../../src/analysis/diffim/psf-model.js'
import { floatImage } from '../../../src/analysis/float-image.js'
import { mulberry32 } from '../../../src/analysis/sensor-noise.js'
import { addMoffatStar, moffatEnclosed } from '../../../src/analysis/sky/moffat.js'

const moffat = { fwhm: 3, beta: 3 }

function moffatPsf(): PsfModel {
  const kernel = floatImage(25, 25)
  addMoffatStar(kernel, 12, 12, 1, moffat)
  const sum = kernel.data.reduce((a, b) => a + b, 0)
  for (let i = 0; i < kernel.data.length; i++) kernel.data[i]! /= sum
  return { fwhm: 3, elongation: 1, angle: 0, kernel, stars: 0 }
}

function centroid(values: Float64Array, size: number): [number, number] {
  let w = 0
  let sx = 0
  let sy = 0
  values.forEach((v, i) => {
    w += v
    sx += v * (i % size)
    sy += v * Math.floor(i / size)
  })
  return [sx / w, sy / w]
}

describe('measureOne', () => {
  it('moves the PSF to a sub-pixel centroid without changing its sum', () => {
    const psf = moffatPsf()
    const shifted = shiftedKernel(psf.kernel, 0.3, -0.45)
    const [cx, cy] = centroid(shifted, 25)
    expect(cx).toBeCloseTo(12.3, 1)
    expect(cy).toBeCloseTo(11.55, 1)
    expect(shifted.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
  })

  it('gives PSF fluxes within their errors of the truth over many noisy stars, with honest errors', () => {
    const psf = moffatPsf()
    const sigma = 12
    const random = mulberry32(4)
    const pulls: number[] = []
    for (let trial = 0; trial < 60; trial++) {
      const image = floatImage(48, 48)
      const x = 23 + random()
      const y = 24 + random()
      addMoffatStar(image, x, y, 3000, moffat)
      for (let i = 0; i < image.data.length; i++) {
        image.data[i]! += sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
      }
      const m = measureOne(image, x, y, 1, { psf, noise: sigma })
      pulls.push((m.psfFlux - 3000) / m.psfFluxErr)
      expect(m.apFlux / (3000 * moffatEnclosed(moffat, 4.5))).toBeGreaterThan(0.8)
      expect(m.fwhm).toBeGreaterThan(2)
      expect(m.elongation).toBeLessThan(1.6)
      expect(m.nbad).toBe(0)
    }
    const mean = pulls.reduce((a, b) => a + b, 0) / pulls.length
    const sd = Math.sqrt(pulls.reduce((a, b) => a + (b - mean) ** 2, 0) / pulls.length)
    // Unbiased (mean pull within 3/√60 of 0) and errors that describe the scatter (σ of pulls ≈ 1).
    expect(Math.abs(mean)).toBeLessThan(0.4)
    expect(sd).toBeGreaterThan(0.7)
    expect(sd).toBeLessThan(1.3)
  })

  it('counts masked pixels and opposite-sign pixels of a dipole', () => {
    const psf = moffatPsf()
    const image = floatImage(40, 40)
    addMoffatStar(image, 20, 20, 5000, moffat)
    addMoffatStar(image, 21.5, 20, -5000, moffat)
    image.data[19 * 40 + 18] = Number.NaN
    const m = measureOne(image, 20, 20, 1, { psf, noise: 5 })
    expect(m.nbad).toBe(1)
    expect(m.nneg).toBeGreaterThan(3)
  })
})
