/**
 * astropy as the WCS oracle: reads header files that astropy itself ships (or cards a test builds) and answers
 * all_pix2world / all_world2pix for the same points, so the tests compare imgpipe's WCS with WCSLIB's at test time.
 */
import type { HeaderCard } from '../../../src/analysis/fits/header-card.js'
import { pythonJson } from '../../support/python-oracle.js'

export const ASTROPY_WCS_DATA = '/usr/lib/python3/dist-packages/astropy/wcs/tests/data'

export interface WcsCase {
  /** A header file (.hdr: bare 80-character cards, with or without newlines; otherwise a FITS file's primary header)... */
  path?: string
  /** ...or cards built by the test. */
  cards?: HeaderCard[]
  /** 0-based pixel positions to transform. */
  pixels: [number, number][]
}

export interface WcsAnswer {
  /** The header's cards as astropy parsed them (commentary cards left out). */
  cards: HeaderCard[]
  naxis: [number, number]
  /** all_pix2world(pixels, 0) as (longitude, latitude); null where astropy answers NaN. */
  world: [number | null, number | null][]
  /** all_world2pix(world, 0) back from astropy's own answer. */
  pixels: [number | null, number | null][]
}

const SCRIPT = String.raw`
import json, sys, warnings
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
warnings.simplefilter('ignore')

def header_of(case):
    if case.get('cards') is not None:
        h = fits.Header()
        for c in case['cards']:
            h.append((c['keyword'], c.get('value'), c.get('comment', '')))
        return h
    path = case['path']
    if path.endswith('.hdr'):
        data = open(path, 'rb').read()
        return fits.Header.fromstring(data.decode('latin-1'), sep='\n' if b'\n' in data else '')
    return fits.getheader(path, 0)

def clean(a):
    return [[None if not np.isfinite(v) else float(v) for v in row] for row in a]

out = []
for case in json.load(sys.stdin):
    h = header_of(case)
    w = WCS(h).celestial
    px = np.array(case['pixels'], dtype=float).reshape(-1, 2)
    world = w.all_pix2world(px, 0)
    try:
        back = w.all_world2pix(world, 0, tolerance=1e-12, maxiter=100, quiet=True)
    except Exception:
        back = np.full_like(world, np.nan)
    cards = []
    for card in h.cards:
        if card.keyword in ('COMMENT', 'HISTORY', '') or card.keyword.startswith('HIERARCH'):
            continue
        v = card.value
        if isinstance(v, fits.card.Undefined):
            v = None
        elif isinstance(v, (bool, np.bool_)):
            v = bool(v)
        elif isinstance(v, (int, np.integer)):
            v = int(v)
        elif isinstance(v, (float, np.floating)):
            v = float(v)
        elif not isinstance(v, str):
            v = str(v)
        cards.append({'keyword': card.keyword, 'value': v})
    # World columns in CTYPE order; imgpipe answers (longitude, latitude) whatever the order.
    lnglat = world[:, [w.wcs.lng, w.wcs.lat]]
    out.append({'cards': cards, 'naxis': [int(h.get('NAXIS1', 0)), int(h.get('NAXIS2', 0))],
                'world': clean(lnglat), 'pixels': clean(back)})
print(json.dumps(out))
`

/** One astropy run over all cases (astropy takes a second to import; the tests share it). */
export function astropyWcs(cases: readonly WcsCase[]): Promise<WcsAnswer[]> {
  return pythonJson<WcsAnswer[]>(SCRIPT, cases)
}

/** The angle between two sky positions in degrees (haversine: accurate for the milliarcsecond differences compared). */
export function separation(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const d2r = Math.PI / 180
  const sdDec = Math.sin(((dec2 - dec1) * d2r) / 2)
  const sdRa = Math.sin(((ra2 - ra1) * d2r) / 2)
  const h = sdDec * sdDec + Math.cos(dec1 * d2r) * Math.cos(dec2 * d2r) * sdRa * sdRa
  return (2 * Math.asin(Math.min(1, Math.sqrt(h)))) / d2r
}

/** An n×n grid of 0-based pixels spanning a width×height image, edges included. */
export function pixelGrid(width: number, height: number, n = 11): [number, number][] {
  const points: [number, number][] = []
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) points.push([((width - 1) * i) / (n - 1), ((height - 1) * j) / (n - 1)])
  }
  return points
}
