/**
 * What astropy (Debian's python3-astropy, a test oracle only) reads from FITS files: every HDU's type, and for each
 * image HDU its header values and the first plane's pixels as float32 (physical values, BLANK → NaN), so the tests
 * compare our reader with astropy's to the bit.
 */
import { pythonJson } from '../../support/python-oracle.js'

export interface AstropyImage {
  index: number
  /** [keyword, kind, text]: kind 'bool' | 'int' | 'float' | 'str' | 'none'; text is Python's repr-free form. */
  cards: [string, string, string][]
  width: number
  height: number
  /** Little-endian float32 pixels, base64. */
  pixels: string
}

export interface AstropyFile {
  hdus: { kind: string; extname: string | null }[]
  images: AstropyImage[]
}

const SCRIPT = String.raw`
import base64, json, sys, warnings
import numpy as np
warnings.simplefilter('ignore')
from astropy.io import fits

def card_kind(value):
    if isinstance(value, bool): return 'bool', 'T' if value else 'F'
    if isinstance(value, (int, np.integer)): return 'int', str(int(value))
    if isinstance(value, float): return 'float', repr(value)
    if isinstance(value, str): return 'str', value
    if value is None or isinstance(value, fits.card.Undefined): return 'none', ''
    return 'other', str(value)

def first_plane(hdu, raw_hdu):
    data = hdu.data
    if data.ndim > 2: data = data.reshape((-1,) + data.shape[-2:])[0]
    if data.ndim == 1: data = data.reshape(1, -1)
    # Once astropy has scaled the data, hdu.header says BITPIX = -32; the stored type is in the unscaled HDU's header.
    if raw_hdu is not None and raw_hdu.header['BITPIX'] > 0:
        # Physical values computed in float64 from the stored integers, BLANK masked: what the FITS standard says.
        raw = raw_hdu.data
        if raw.ndim > 2: raw = raw.reshape((-1,) + raw.shape[-2:])[0]
        if raw.ndim == 1: raw = raw.reshape(1, -1)
        # (astropy's own scaling of 16-bit data runs in float32 and can differ by one unit in the last place.)
        stored = raw_hdu.header
        values = raw.astype(np.float64) * stored.get('BSCALE', 1.0) + stored.get('BZERO', 0.0)
        out = values.astype(np.float32)
        if 'BLANK' in stored: out[raw == stored['BLANK']] = np.nan
        return out
    return np.asarray(data, dtype=np.float32)

files = json.load(sys.stdin)
answers = []
for path in files:
    hdul = fits.open(path)
    raw = fits.open(path, do_not_scale_image_data=True)
    raw.readall()
    hdus = [{'kind': type(h).__name__, 'extname': h.header.get('EXTNAME') if 'EXTNAME' in h.header else None} for h in hdul]
    images = []
    for i, hdu in enumerate(hdul):
        if not isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)) or hdu.data is None or hdu.data.size == 0: continue
        cards = []
        # The header as stored: the unscaled HDU's, read before its data (astropy rewrites BITPIX/BZERO on scaling).
        for card in raw[i].header.cards:
            if card.keyword in ('COMMENT', 'HISTORY', '') : continue
            try: kind, text = card_kind(card.value)
            except Exception: continue  # a card astropy itself cannot parse: nothing to compare with
            cards.append([card.keyword, kind, text])
        raw_hdu = None if isinstance(hdu, fits.CompImageHDU) else raw[i]
        plane = np.ascontiguousarray(first_plane(hdu, raw_hdu), dtype='<f4')
        images.append({'index': i, 'cards': cards, 'width': int(plane.shape[1]), 'height': int(plane.shape[0]),
                       'pixels': base64.b64encode(plane.tobytes()).decode('ascii')})
    answers.append({'hdus': hdus, 'images': images})
print(json.dumps(answers))
`

/** Asks astropy about each file, in one Python process. */
export function astropyRead(paths: readonly string[]): Promise<AstropyFile[]> {
  return pythonJson<AstropyFile[]>(SCRIPT, paths)
}

/** Decodes the base64 float32 pixels astropy sent. */
export function astropyPixels(image: AstropyImage): Float32Array {
  const bytes = Buffer.from(image.pixels, 'base64')
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
}

/** Positions where two pixel arrays differ (NaN equals NaN), at most `limit` of them. */
export function pixelMismatches(ours: Float32Array, theirs: Float32Array, limit = 5): string[] {
  const out: string[] = []
  if (ours.length !== theirs.length) return [`length ${ours.length} vs ${theirs.length}`]
  for (let i = 0; i < ours.length && out.length < limit; i++) {
    const a = ours[i]!
    const b = theirs[i]!
    if (!(a === b || (Number.isNaN(a) && Number.isNaN(b)))) out.push(`pixel ${i}: ${a} vs ${b}`)
  }
  return out
}
