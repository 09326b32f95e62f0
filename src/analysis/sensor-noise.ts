/**
 * Deterministic sensor noise for the mock stream, so that every image is distinct and must be decoded, as a
 * real camera's frames are. Image n always gets the same noise (a resumed run writes the same bytes).
 *
 * The noise is approximately Gaussian (the sum of four uniform draws, scaled to the asked sigma) and comes from a
 * fixed table read at an offset derived from the image number: generating 12 million samples for a 2048² RGB
 * frame costs one pass over the pixels, not 12 million calls to a random generator.
 */

const TABLE_BITS = 20
const TABLE_SIZE = 1 << TABLE_BITS
const MASK = TABLE_SIZE - 1

let unitTable: Float32Array | undefined

/** Mulberry32: a small, well-mixed 32-bit generator; only its determinism matters here (and in the chaos trials). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Unit-variance noise samples, made once per process. */
function unitNoise(): Float32Array {
  if (unitTable !== undefined) return unitTable
  const random = mulberry32(0x1badb002)
  const table = new Float32Array(TABLE_SIZE)
  // Sum of 4 uniforms on [0,1): mean 2, variance 4/12 = 1/3.
  const scale = Math.sqrt(3)
  for (let index = 0; index < TABLE_SIZE; index += 1) {
    table[index] = (random() + random() + random() + random() - 2) * scale
  }
  unitTable = table
  return table
}

/**
 * A copy of `pixels` (8-bit samples) with noise of standard deviation `sigma` (in levels, 0..64) added and
 * clamped to 0..255. `seed` (the image number) picks where in the noise table the image starts, and an odd
 * stride keeps neighbouring samples of one image from repeating the table in step with another image's.
 */
export function addSensorNoise(pixels: Uint8Array, sigma: number, seed: number): Buffer {
  if (!(sigma >= 0 && sigma <= 64)) throw new RangeError(`noise sigma must be from 0 to 64, got ${sigma}`)
  const out = Buffer.allocUnsafe(pixels.length)
  if (sigma === 0) {
    out.set(pixels)
    return out
  }
  const table = unitNoise()
  const mix = mulberry32(seed)
  let position = Math.floor(mix() * TABLE_SIZE)
  const stride = (Math.floor(mix() * (TABLE_SIZE / 2)) * 2 + 1) & MASK
  for (let index = 0; index < pixels.length; index += 1) {
    const value = pixels[index]! + table[position]! * sigma
    out[index] = value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value)
    position = (position + stride) & MASK
  }
  return out
}
