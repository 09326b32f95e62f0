/**
 * Cutout stamps: the small images around a detection that alert packets carry (ZTF and Rubin send three — science,
 * reference, difference — of 63×63 pixels in ZTF's case, as FITS; Patterson et al. 2019, PASP 131:018001, §3.3).
 *
 * A stamp is centred on the pixel nearest the source; pixels beyond the image are NaN (masked), so a source near the
 * edge still gets a full-size stamp with its position at the stamp's centre pixel. `stampCards` moves a WCS to the
 * stamp by shifting CRPIX — the only keywords a cutout changes (FITS WCS Paper I, §2.1).
 */
import type { HeaderCard } from '../fits/header-card.js'
import { floatImage, type FloatImage } from '../float-image.js'

export const ZTF_STAMP_SIZE = 63

export interface Stamp {
  readonly image: FloatImage
  /** The parent-image pixel of the stamp's pixel (0, 0); negative when the stamp hangs over the edge. */
  readonly x0: number
  readonly y0: number
}

/** A `size`×`size` cutout of `image` centred on the pixel nearest (x, y). `size` must be odd. */
export function cutStamp(image: FloatImage, x: number, y: number, size = ZTF_STAMP_SIZE): Stamp {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) throw new RangeError(`stamp size ${size} is not odd`)
  const half = size >> 1
  const x0 = Math.round(x) - half
  const y0 = Math.round(y) - half
  const stamp = floatImage(size, size, Number.NaN)
  for (let sy = 0; sy < size; sy++) {
    const py = y0 + sy
    if (py < 0 || py >= image.height) continue
    const from = Math.max(0, -x0)
    const to = Math.min(size, image.width - x0)
    if (to <= from) continue
    stamp.data.set(image.data.subarray(py * image.width + x0 + from, py * image.width + x0 + to), sy * size + from)
  }
  return { image: stamp, x0, y0 }
}

/** The header cards of the parent image with CRPIX1/CRPIX2 moved to the stamp's pixel grid. */
export function stampCards(cards: readonly HeaderCard[], stamp: Stamp): HeaderCard[] {
  return cards.map((card) => {
    if (card.keyword === 'CRPIX1' && typeof card.value === 'number') return { ...card, value: card.value - stamp.x0 }
    if (card.keyword === 'CRPIX2' && typeof card.value === 'number') return { ...card, value: card.value - stamp.y0 }
    return card
  })
}
