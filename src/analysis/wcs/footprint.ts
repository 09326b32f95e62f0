/**
 * Where an image lies on the sky: its centre and the four corner pixels' positions, the fields the catalog keeps
 * to find images by position. The corners are the centres of the corner pixels in the order astropy's
 * WCS.calc_footprint gives them — (1, 1), (1, NAXIS2), (NAXIS1, NAXIS2), (NAXIS1, 1) in FITS pixels —
 * distortion included.
 */
import { WcsInvalidError } from '../../core/errors.js'
import type { SkyPosition, Wcs } from './wcs.js'

export interface SkyFootprint {
  /** The sky position of the image centre, pixel ((width − 1)/2, (height − 1)/2). */
  center: SkyPosition
  corners: [SkyPosition, SkyPosition, SkyPosition, SkyPosition]
  /** Mean pixel scale at the reference pixel, arcseconds per pixel. */
  pixelScaleArcsec: number
}

export function imageFootprint(wcs: Wcs, width: number, height: number): SkyFootprint {
  if (!(width >= 1 && height >= 1)) throw new RangeError(`an image of ${width}×${height} pixels has no footprint`)
  const center = wcs.pixelToSky((width - 1) / 2, (height - 1) / 2)
  const corners: SkyFootprint['corners'] = [
    wcs.pixelToSky(0, 0),
    wcs.pixelToSky(0, height - 1),
    wcs.pixelToSky(width - 1, height - 1),
    wcs.pixelToSky(width - 1, 0),
  ]
  for (const position of [center, ...corners]) {
    if (Number.isNaN(position.ra)) throw new WcsInvalidError('part of the image lies outside its projection: no sky footprint')
  }
  return { center, corners, pixelScaleArcsec: wcs.pixelScale * 3600 }
}
