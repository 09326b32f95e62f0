/**
 * The RICE_1 decoder of the Tiled Image Compression convention (Pence, Seaman & White; FITS Standard 4.0 §10.4.1),
 * following the reference decoder in CFITSIO's ricecomp.c (fits_rdecomp): the first pixel verbatim in BYTEPIX bytes,
 * then blocks of BLOCKSIZE pixel differences, each block led by a code of `fsbits` bits: 0 for all-zero differences,
 * `fsmax + 1` for raw values, otherwise k + 1 for a Rice code with k low bits. Differences are zig-zag mapped.
 */
import { FitsError } from '../../core/errors.js'

/** Bits of the block code, the raw-value code and the pixel width, per BYTEPIX (ricecomp.c). */
const PARAMETERS: Record<number, { fsbits: number; fsmax: number; bbits: number }> = {
  1: { fsbits: 3, fsmax: 6, bbits: 8 },
  2: { fsbits: 4, fsmax: 14, bbits: 16 },
  4: { fsbits: 5, fsmax: 25, bbits: 32 },
}

/**
 * Decodes `count` pixels into `out`. Sums wrap to BYTEPIX bytes as the C code's unsigned arithmetic does: unsigned
 * for BYTEPIX 1 (BITPIX 8 is unsigned), signed for 2 and 4. One output type keeps the hot loops monomorphic.
 * Throws FITS_BAD_TILE when the stream runs out.
 */
export function riceDecode(input: Uint8Array, count: number, blockSize: number, bytePix: number, out: Int32Array): void {
  const parameters = PARAMETERS[bytePix]
  if (parameters === undefined) throw new FitsError('FITS_UNSUPPORTED', `RICE_1 with BYTEPIX ${bytePix}`)
  if (!(blockSize >= 1 && blockSize <= 1 << 16)) throw new FitsError('FITS_BAD_TILE', `RICE_1 with BLOCKSIZE ${blockSize}`)
  const { fsbits, fsmax, bbits } = parameters
  // Wrapping a 32-bit sum to the pixel's width: (x << 16) >> 16 for 16 bits; 8-bit pixels are masked instead.
  const shift = 32 - bbits
  const unsigned = bytePix === 1
  const end = input.length
  if (end < bytePix + 1) throw new FitsError('FITS_BAD_TILE', `RICE_1 tile of ${end} bytes`)
  let c = 0
  let lastpix = 0
  for (; c < bytePix; c++) lastpix = (lastpix << 8) | input[c]!
  lastpix = unsigned ? lastpix & 0xff : (lastpix << shift) >> shift
  // Reading past the end yields 0 (`?? 0`); the check after each block turns that into an error.
  let b = input[c++]!
  let nbits = 8
  for (let i = 0; i < count;) {
    nbits -= fsbits
    while (nbits < 0) {
      b = (b << 8) | (input[c++] ?? 0)
      nbits += 8
    }
    const fs = (b >>> nbits) - 1
    b &= (1 << nbits) - 1
    const imax = Math.min(i + blockSize, count)
    if (fs < 0) {
      // Low entropy: every difference in the block is zero.
      for (; i < imax; i++) out[i] = lastpix
    } else if (fs === fsmax) {
      // High entropy: each difference verbatim in bbits bits.
      for (; i < imax; i++) {
        let k = bbits - nbits
        let diff = k >= 32 ? 0 : b << k
        for (k -= 8; k >= 0; k -= 8) diff |= (input[c++] ?? 0) << k
        if (nbits > 0) {
          b = input[c++] ?? 0
          diff |= b >>> -k
          b &= (1 << nbits) - 1
        } else {
          b = 0
        }
        const sum = unmap(diff) + lastpix
        lastpix = unsigned ? sum & 0xff : (sum << shift) >> shift
        out[i] = lastpix
      }
    } else {
      for (; i < imax; i++) {
        // The unary part: count the zero bits up to the next one.
        while (b === 0) {
          if (c >= end) throw new FitsError('FITS_BAD_TILE', 'RICE_1 tile ends inside a code')
          nbits += 8
          b = input[c++]!
        }
        const nzero = nbits - (32 - Math.clz32(b))
        nbits -= nzero + 1
        b ^= 1 << nbits
        nbits -= fs
        while (nbits < 0) {
          b = (b << 8) | (input[c++] ?? 0)
          nbits += 8
        }
        const diff = (nzero << fs) | (b >>> nbits)
        b &= (1 << nbits) - 1
        const sum = unmap(diff) + lastpix
        lastpix = unsigned ? sum & 0xff : (sum << shift) >> shift
        out[i] = lastpix
      }
    }
    if (c > end) throw new FitsError('FITS_BAD_TILE', 'RICE_1 tile ends before its pixels do')
  }
}

/** Zig-zag mapping undone: even → diff/2, odd → −(diff+1)/2, in 32-bit two's complement. */
function unmap(diff: number): number {
  const half = (diff >>> 1) | 0
  return (diff & 1) === 0 ? half : ~half
}
