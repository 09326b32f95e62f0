import sharp from 'sharp'
import { InternalError } from '../core/errors.js'

/**
 * The original image of the mock stream: a teddy-bear head the project draws itself (the original
 * pipeline started from "a computer-drawn cute teddy bear" stored as a JPEG; this is our own drawing).
 *
 * It is deliberately not symmetric under rotation: the ears, the bow and the tuft are at the top and the
 * muzzle below the centre, so a 90° turn moves most of the picture and is a large change for the analyzer.
 * No text, so the rendering depends on no installed font.
 */

/** Side of the drawing's coordinate system; the SVG is scaled to any requested size. */
const VIEW = 350

const FUR_LINE = '#6e3f1e'
const DARK = '#3a2214'

/** The drawing as an SVG document rendered at `size`×`size` pixels. */
export function teddyBearSvg(size = VIEW): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${VIEW} ${VIEW}">
  <defs>
    <radialGradient id="sky" cx="50%" cy="40%" r="75%">
      <stop offset="0" stop-color="#fdf6e3"/>
      <stop offset="1" stop-color="#bfe3f2"/>
    </radialGradient>
    <radialGradient id="fur" cx="42%" cy="32%" r="75%">
      <stop offset="0" stop-color="#c98d57"/>
      <stop offset="0.7" stop-color="#a8693a"/>
      <stop offset="1" stop-color="#8a5229"/>
    </radialGradient>
    <radialGradient id="muzzle" cx="45%" cy="35%" r="70%">
      <stop offset="0" stop-color="#fbe8cf"/>
      <stop offset="1" stop-color="#ecc9a0"/>
    </radialGradient>
  </defs>
  <rect width="${VIEW}" height="${VIEW}" fill="url(#sky)"/>
  <circle cx="88" cy="92" r="52" fill="url(#fur)" stroke="${FUR_LINE}" stroke-width="4"/>
  <circle cx="262" cy="92" r="52" fill="url(#fur)" stroke="${FUR_LINE}" stroke-width="4"/>
  <circle cx="90" cy="95" r="29" fill="#f2bfa0"/>
  <circle cx="260" cy="95" r="29" fill="#f2bfa0"/>
  <ellipse cx="175" cy="195" rx="128" ry="118" fill="url(#fur)" stroke="${FUR_LINE}" stroke-width="4"/>
  <path d="M166 80 Q170 60 186 66 Q196 72 186 80 Q178 84 178 74" fill="none" stroke="${FUR_LINE}" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/>
  <ellipse cx="98" cy="236" rx="20" ry="12" fill="#f08a8a" opacity="0.55"/>
  <ellipse cx="252" cy="236" rx="20" ry="12" fill="#f08a8a" opacity="0.55"/>
  <ellipse cx="175" cy="245" rx="64" ry="50" fill="url(#muzzle)" stroke="${FUR_LINE}" stroke-width="3"/>
  <ellipse cx="128" cy="192" rx="15" ry="18" fill="#2b1a10"/>
  <ellipse cx="222" cy="192" rx="15" ry="18" fill="#2b1a10"/>
  <circle cx="122" cy="185" r="5.5" fill="#ffffff"/>
  <circle cx="216" cy="185" r="5.5" fill="#ffffff"/>
  <circle cx="132" cy="199" r="2.5" fill="#ffffff"/>
  <circle cx="226" cy="199" r="2.5" fill="#ffffff"/>
  <path d="M154 222 Q175 212 196 222 Q192 240 175 244 Q158 240 154 222 Z" fill="${DARK}"/>
  <ellipse cx="168" cy="222" rx="7" ry="3.5" fill="#ffffff" opacity="0.6"/>
  <path d="M175 244 L175 258 M148 256 Q160 274 175 258 Q190 274 202 256" fill="none" stroke="${DARK}" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/>
  <g transform="rotate(-25 70 60)">
    <path d="M70 60 L42 44 Q36 60 42 76 Z" fill="#e5484d" stroke="#a32a2e" stroke-width="2.5" stroke-linejoin="round"/>
    <path d="M70 60 L98 44 Q104 60 98 76 Z" fill="#e5484d" stroke="#a32a2e" stroke-width="2.5" stroke-linejoin="round"/>
    <circle cx="70" cy="60" r="8" fill="#f26b6f" stroke="#a32a2e" stroke-width="2.5"/>
  </g>
</svg>`
}

/** JPEG settings of every mock image; fixed so that the bytes are reproducible for one sharp version. */
export const TEDDY_JPEG_QUALITY = 90

/**
 * Renders the teddy bear to a `size`×`size` JPEG, turned clockwise by `quarterTurns` × 90°.
 *
 * The rotation is applied to the rasterised drawing (an exact pixel permutation), not to a decoded JPEG,
 * so every rotated image is exactly one JPEG generation away from the drawing. The same arguments give
 * the same bytes for a given sharp/libvips build.
 */
export async function renderTeddyBear(size = VIEW, quarterTurns = 0): Promise<Buffer> {
  const raster = await renderTeddyBearPixels(size, quarterTurns)
  return encodeTeddyBear(raster)
}

/** Raw pixels of a rendered teddy bear, for a caller that changes them before encoding (sensor noise). */
export interface TeddyBearPixels {
  data: Buffer
  width: number
  height: number
  channels: 1 | 2 | 3 | 4
}

/** The teddy bear as raw pixels, turned like {@link renderTeddyBear}'s (which encodes exactly these). */
export async function renderTeddyBearPixels(size = VIEW, quarterTurns = 0): Promise<TeddyBearPixels> {
  if (!Number.isInteger(size) || size < 16 || size > 8192) {
    throw new InternalError(`teddy bear size must be an integer from 16 to 8192, got ${size}`)
  }
  if (!Number.isInteger(quarterTurns)) throw new InternalError(`quarterTurns must be an integer, got ${quarterTurns}`)
  const turns = ((quarterTurns % 4) + 4) % 4
  // Rasterise first, then rotate the pixels: rotating the SVG itself would resample the curves differently.
  const raster = await sharp(Buffer.from(teddyBearSvg(size)))
    .flatten({ background: '#ffffff' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  const turned = await sharp(raster.data, { raw: { width: raster.info.width, height: raster.info.height, channels: raster.info.channels } })
    .rotate(turns * 90)
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data: turned.data, width: turned.info.width, height: turned.info.height, channels: turned.info.channels }
}

/** The mock stream's one JPEG encoding of some teddy-bear pixels. */
export function encodeTeddyBear(pixels: TeddyBearPixels): Promise<Buffer> {
  const { width, height, channels } = pixels
  return sharp(pixels.data, { raw: { width, height, channels } }).jpeg({ quality: TEDDY_JPEG_QUALITY }).toBuffer()
}
