/**
 * zscale and the stretches against astropy.visualization on the same pixels: two real images astropy ships (a
 * RICE-compressed 300×440 frame and a 192×192 radio map with a masked border) and arrays built to exercise the
 * rejection loop, NaN, constant and tiny inputs. Intervals must agree to 1e-4 relative, stretched values to 1e-6.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { preview } from '../../../src/analysis/display/preview.js'
import { stretchValue } from '../../../src/analysis/display/stretch.js'
import { zscale } from '../../../src/analysis/display/zscale.js'
import { hasPythonModule, pythonJson } from '../../support/python-oracle.js'

const ASTROPY = '/usr/lib/python3/dist-packages/astropy'

interface Answer {
  name: string
  width: number
  height: number
  /** The pixels as float32 (null for NaN). */
  data: (number | null)[]
  vmin: number | null
  vmax: number | null
  asinh: (number | null)[]
  linear: (number | null)[]
}

const SCRIPT = String.raw`
import json, sys, warnings
import numpy as np
from astropy.io import fits
from astropy.visualization import ZScaleInterval, ManualInterval, AsinhStretch, LinearStretch
warnings.simplefilter('ignore')
spec = json.load(sys.stdin)
rng = np.random.default_rng(17)
arrays = []
with fits.open(spec['astropy'] + '/io/fits/tests/data/comp.fits') as h:
    arrays.append(('comp.fits[1] RICE 300x440', h[1].data.astype(np.float32)))
with fits.open(spec['astropy'] + '/modeling/tests/data/1904-66_AZP.fits') as h:
    arrays.append(('1904-66_AZP.fits radio map', h[0].data.astype(np.float32)))
sky = rng.normal(100.0, 5.0, (120, 150)).astype(np.float32)
sky[rng.integers(0, 120, 60), rng.integers(0, 150, 60)] += rng.exponential(2000.0, 60).astype(np.float32)
sky[:, 7] = np.nan
sky[30, 30:40] = np.inf
arrays.append(('noise with bright outliers, a NaN column and +inf', sky))
arrays.append(('heavy tails (Cauchy)', rng.standard_cauchy((64, 64)).astype(np.float32)))
arrays.append(('float64 gradient', np.add.outer(np.arange(50.0), np.arange(70.0) * 0.5) ** 1.5))
arrays.append(('three pixels', np.array([[3.0, 1.0, 2.0]], dtype=np.float32)))
arrays.append(('seven pixels, one NaN', np.array([[5, 9, np.nan, 1, 7, 3, 8]], dtype=np.float32)))
arrays.append(('constant', np.full((10, 12), 42.0, dtype=np.float32)))

def clean(a):
    return [None if not np.isfinite(v) else float(v) for v in np.ravel(a)]

out = []
for name, a in arrays:
    vmin, vmax = ZScaleInterval().get_limits(a)
    entry = {'name': name, 'width': int(a.shape[1]), 'height': int(a.shape[0]), 'dtype': str(a.dtype),
             'data': clean(a), 'vmin': float(vmin), 'vmax': float(vmax)}
    if vmax > vmin:
        for key, stretch in (('asinh', AsinhStretch()), ('linear', LinearStretch())):
            # What ImageNormalize(clip=True) does (it needs matplotlib): the interval, clipped, then the stretch.
            entry[key] = clean(stretch(ManualInterval(vmin, vmax)(a, clip=True), clip=True))
    else:
        entry['asinh'] = entry['linear'] = []
    # Infinities survive JSON as strings.
    entry['inf'] = [int(i) for i in np.flatnonzero(np.isposinf(np.ravel(a)))]
    out.append(entry)
print(json.dumps(out))
`

function pixels(answer: Answer & { dtype: string; inf: number[] }): Float32Array | Float64Array {
  const data = answer.dtype === 'float64' ? new Float64Array(answer.data.length) : new Float32Array(answer.data.length)
  answer.data.forEach((value, i) => (data[i] = value ?? NaN))
  for (const i of answer.inf) data[i] = Infinity
  return data
}

describe.skipIf(!hasPythonModule('astropy', 'python3-astropy'))('display intervals and stretches against astropy', () => {
  let answers: (Answer & { dtype: string; inf: number[] })[] = []
  beforeAll(async () => {
    answers = await pythonJson(SCRIPT, { astropy: ASTROPY })
  }, 60_000)

  it('zscale gives astropy ZScaleInterval limits to 1e-4 relative on every array', () => {
    expect(answers.length).toBe(8)
    for (const answer of answers) {
      const ours = zscale(pixels(answer))
      const tolerance = 1e-4 * Math.max(1, Math.abs(answer.vmax! - answer.vmin!), Math.abs(answer.vmin!), Math.abs(answer.vmax!))
      expect(Math.abs(ours.vmin - answer.vmin!), `${answer.name}: vmin ${ours.vmin} vs ${answer.vmin}`).toBeLessThanOrEqual(tolerance)
      expect(Math.abs(ours.vmax - answer.vmax!), `${answer.name}: vmax ${ours.vmax} vs ${answer.vmax}`).toBeLessThanOrEqual(tolerance)
    }
  })

  it('the rejection loop matters: on outliers zscale is much narrower than the min/max range', () => {
    const answer = answers.find((a) => a.name.startsWith('noise'))!
    const ours = zscale(pixels(answer))
    expect(ours.vmax - ours.vmin).toBeLessThan(100)
    expect(ours.vmin).toBeGreaterThan(70)
    expect(ours.vmax).toBeLessThan(130)
  })

  it('asinh and linear stretches give the values of astropy interval + stretch to 1e-6, and grey levels round(255·y)', () => {
    for (const answer of answers) {
      if (answer.asinh.length === 0) continue
      const data = pixels(answer)
      const interval = { vmin: answer.vmin!, vmax: answer.vmax! }
      for (const stretch of ['asinh', 'linear'] as const) {
        const expected = answer[stretch]
        const image = preview({ width: answer.width, height: answer.height, data: Float32Array.from(data) }, { stretch, interval })
        let mismatches = 0
        let worst = 0
        let maskAgreement = true
        for (let i = 0; i < data.length; i++) {
          const value = data[i]!
          const want = expected[i]
          if (Number.isNaN(value)) {
            maskAgreement &&= want === null
            continue
          }
          const t = (value - interval.vmin) / (interval.vmax - interval.vmin)
          worst = Math.max(worst, Math.abs(stretchValue(t, { stretch }) - want!))
          // The preview's grey level of the same pixel (FITS row 1 at the bottom of the preview).
          const x = i % answer.width
          const y = Math.floor(i / answer.width)
          const grey = image.data[((answer.height - 1 - y) * answer.width + x) * 3]!
          const exact = 255 * want!
          // A level boundary within float32 rounding of the pixel may fall either way.
          if (grey !== Math.round(exact) && Math.abs(exact - Math.floor(exact) - 0.5) > 1e-4) mismatches++
        }
        expect(maskAgreement, `${answer.name}: NaN pixels are NaN for astropy`).toBe(true)
        expect(worst, `${answer.name} ${stretch}: worst difference from astropy`).toBeLessThanOrEqual(1e-6)
        expect(mismatches, `${answer.name} ${stretch}: grey levels off round(255·y)`).toBe(0)
      }
    }
  })
})
