/**
 * The random sequence of the subtractive dither (Tiled Image Convention §10.2.1; FITS Standard 4.0 §10.2.1): 10,000
 * values of the Park–Miller generator (a = 16807, m = 2^31 − 1, seed 1), held as float32 as CFITSIO holds them, so
 * reconstructed pixels match CFITSIO's and astropy's to the bit.
 */
export const N_RANDOM = 10000

export const DITHER_RANDOMS: Float32Array = (() => {
  const a = 16807
  const m = 2147483647
  const values = new Float32Array(N_RANDOM)
  let seed = 1
  for (let i = 0; i < N_RANDOM; i++) {
    // Exact in doubles: a × seed < 2^46.
    const temp = a * seed
    seed = temp - m * Math.trunc(temp / m)
    values[i] = seed / m
  }
  return values
})()

/** Index of the first random value for tile `tile` (1-based) with ZDITHER0 `seed` (§10.2.1). */
export function ditherOffset(tile: number, seed: number): number {
  return (((tile - 1 + seed - 1) % N_RANDOM) + N_RANDOM) % N_RANDOM
}
