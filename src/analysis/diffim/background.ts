/**
 * Sky background and its noise as smooth maps, the way SExtractor estimates them (Bertin & Arnouts 1996, A&AS 117,
 * 393, §3.1; photutils' Background2D does the same): a mesh of boxes, a sigma-clipped estimate per box, a median
 * filter over the mesh to remove boxes spoiled by a bright star, and interpolation between box centres.
 *
 * Per box, after clipping at ±3σ about the median until nothing changes: the mode estimate 2.5·median − 1.5·mean
 * when the distribution is nearly symmetric ((mean − median)/σ < 0.3), else the median — crowded boxes skew the mean.
 * Interpolation is bilinear between box centres (SExtractor uses bicubic splines; over a 64-pixel mesh the
 * difference is far below the noise). NaN pixels are ignored; a box with fewer than half its pixels valid takes its
 * value from the filtered neighbours.
 */
import { floatImage, type FloatImage } from '../float-image.js'

export interface BackgroundOptions {
  /** Box size, pixels (default 64). */
  readonly box?: number
  /** Median filter size over the mesh, boxes (default 3; 1 turns it off). */
  readonly filter?: number
}

export interface Background {
  /** Background level per pixel. */
  readonly level: FloatImage
  /** Background noise (σ) per pixel. */
  readonly rms: FloatImage
  /** The median of the per-box σ: one number for "the noise of this image". */
  readonly globalRms: number
}

/** Median of the first `n` values of `values` (reordered in place). */
function median(values: Float32Array, n: number): number {
  if (n === 0) return Number.NaN
  const sorted = values.subarray(0, n).sort()
  return n % 2 === 1 ? sorted[n >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2
}

/** Sigma-clipped (mode, σ) of the first `n` values of `values`, which are sorted on return. */
function clippedStats(values: Float32Array, n: number): [number, number] {
  let lo = 0
  let hi = n
  const sorted = values.subarray(0, n).sort()
  let mean = 0
  let sigma = 0
  let mid = 0
  for (let iteration = 0; iteration < 10; iteration++) {
    const count = hi - lo
    if (count < 3) break
    mid = count % 2 === 1 ? sorted[lo + (count >> 1)]! : (sorted[lo + count / 2 - 1]! + sorted[lo + count / 2]!) / 2
    let sum = 0
    let sum2 = 0
    for (let i = lo; i < hi; i++) {
      sum += sorted[i]!
      sum2 += sorted[i]! * sorted[i]!
    }
    mean = sum / count
    sigma = Math.sqrt(Math.max(0, sum2 / count - mean * mean))
    let newLo = lo
    let newHi = hi
    while (newLo < newHi && sorted[newLo]! < mid - 3 * sigma) newLo++
    while (newHi > newLo && sorted[newHi - 1]! > mid + 3 * sigma) newHi--
    if (newLo === lo && newHi === hi) break
    lo = newLo
    hi = newHi
  }
  const mode = sigma > 0 && (mean - mid) / sigma < 0.3 ? 2.5 * mid - 1.5 * mean : mid
  return [mode, sigma]
}

function reflect(i: number, n: number): number {
  const r = i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i
  return Math.min(Math.max(r, 0), n - 1)
}

function medianFilterMesh(mesh: Float64Array, nx: number, ny: number, size: number): Float64Array {
  const half = size >> 1
  const out = new Float64Array(mesh.length)
  const window = new Float32Array(size * size)
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      let n = 0
      for (let dj = -half; dj <= half; dj++) {
        for (let di = -half; di <= half; di++) {
          // Reflect at the edges (scipy's 'reflect'): a border box is filtered with itself, not only its inner
          // neighbours, so a sky gradient does not bias the border by half a box.
          const jj = reflect(j + dj, ny)
          const ii = reflect(i + di, nx)
          const value = mesh[jj * nx + ii]!
          if (!Number.isNaN(value)) window[n++] = value
        }
      }
      out[j * nx + i] = median(window, n)
    }
  }
  return out
}

/**
 * Bilinear interpolation of a mesh of box-centre values onto every pixel; with `from`, `from` minus that (the value
 * rounded to float32 first, as a level image would hold it), so the level never needs an image of its own.
 */
function interpolate(
  mesh: Float64Array,
  nx: number,
  ny: number,
  [boxW, boxH]: [number, number],
  width: number,
  height: number,
  from?: FloatImage,
): FloatImage {
  const out = floatImage(width, height)
  const source = from?.data
  // Each column's mesh cell and weight, worked out once instead of on every row.
  const column0 = new Int32Array(width)
  const column1 = new Int32Array(width)
  const columnT = new Float64Array(width)
  for (let x = 0; x < width; x++) {
    const gx = Math.min(Math.max((x + 0.5) / boxW - 0.5, 0), nx - 1)
    const i0 = Math.min(Math.floor(gx), nx - 1)
    column0[x] = i0
    column1[x] = Math.min(i0 + 1, nx - 1)
    columnT[x] = gx - i0
  }
  for (let y = 0; y < height; y++) {
    const gy = Math.min(Math.max((y + 0.5) / boxH - 0.5, 0), ny - 1)
    const j0 = Math.min(Math.floor(gy), ny - 1)
    const j1 = Math.min(j0 + 1, ny - 1)
    const ty = gy - j0
    const row0 = j0 * nx
    const row1 = j1 * nx
    const line = y * width
    for (let x = 0; x < width; x++) {
      const i0 = column0[x]!
      const i1 = column1[x]!
      const tx = columnT[x]!
      const top = mesh[row0 + i0]! * (1 - tx) + mesh[row0 + i1]! * tx
      const bottom = mesh[row1 + i0]! * (1 - tx) + mesh[row1 + i1]! * tx
      const value = top * (1 - ty) + bottom * ty
      out.data[line + x] = source === undefined ? value : source[line + x]! - Math.fround(value)
    }
  }
  return out
}

/** Estimates the background level and noise maps of `image`. */
export function estimateBackground(image: FloatImage, options: BackgroundOptions = {}): Background {
  const mesh = backgroundMesh(image, options)
  return {
    level: interpolate(mesh.level, mesh.nx, mesh.ny, mesh.box, image.width, image.height),
    rms: interpolate(mesh.rms, mesh.nx, mesh.ny, mesh.box, image.width, image.height),
    globalRms: mesh.globalRms,
  }
}

/**
 * `image` minus its background (subtractBackground of estimateBackground, the same pixels) and the noise maps, without
 * the level image: one 4096² buffer less alive during difference imaging.
 */
export function backgroundSubtracted(
  image: FloatImage,
  options: BackgroundOptions = {},
): { image: FloatImage } & Omit<Background, 'level'> {
  const mesh = backgroundMesh(image, options)
  return {
    image: interpolate(mesh.level, mesh.nx, mesh.ny, mesh.box, image.width, image.height, image),
    rms: interpolate(mesh.rms, mesh.nx, mesh.ny, mesh.box, image.width, image.height),
    globalRms: mesh.globalRms,
  }
}

interface BackgroundMesh {
  readonly nx: number
  readonly ny: number
  readonly box: [number, number]
  readonly level: Float64Array
  readonly rms: Float64Array
  readonly globalRms: number
}

function backgroundMesh(image: FloatImage, options: BackgroundOptions): BackgroundMesh {
  const box = Math.max(8, Math.min(options.box ?? 64, image.width, image.height))
  const nx = Math.max(1, Math.round(image.width / box))
  const ny = Math.max(1, Math.round(image.height / box))
  const boxW = image.width / nx
  const boxH = image.height / ny
  const levels = new Float64Array(nx * ny)
  const sigmas = new Float64Array(nx * ny)
  const scratch = new Float32Array(Math.ceil(boxW + 1) * Math.ceil(boxH + 1))
  for (let j = 0; j < ny; j++) {
    const y0 = Math.round(j * boxH)
    const y1 = Math.round((j + 1) * boxH)
    for (let i = 0; i < nx; i++) {
      const x0 = Math.round(i * boxW)
      const x1 = Math.round((i + 1) * boxW)
      let n = 0
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const value = image.data[y * image.width + x]!
          if (value === value) scratch[n++] = value
        }
      }
      const enough = n >= ((x1 - x0) * (y1 - y0)) / 2
      const [level, sigma] = enough ? clippedStats(scratch, n) : [Number.NaN, Number.NaN]
      levels[j * nx + i] = level
      sigmas[j * nx + i] = sigma
    }
  }
  const size = Math.max(1, options.filter ?? 3)
  // Always filter once with at least 3×3 when a box is empty, so NaN boxes take their neighbours' value.
  const filterSize = levels.some(Number.isNaN) ? Math.max(size, 3) : size
  const level = filterSize > 1 ? medianFilterMesh(levels, nx, ny, filterSize) : levels
  const rms = filterSize > 1 ? medianFilterMesh(sigmas, nx, ny, filterSize) : sigmas
  const sortedSigmas = Float32Array.from(rms.filter((value) => !Number.isNaN(value)))
  return { nx, ny, box: [boxW, boxH], level: fillNaN(level), rms: fillNaN(rms), globalRms: median(sortedSigmas, sortedSigmas.length) }
}

/** A mesh whose boxes are all still NaN after filtering (an image mostly masked) gets the mesh's median. */
function fillNaN(mesh: Float64Array): Float64Array {
  const valid = Float32Array.from(mesh.filter((value) => !Number.isNaN(value)))
  const fallback = valid.length > 0 ? median(valid, valid.length) : 0
  return mesh.map((value) => (Number.isNaN(value) ? fallback : value))
}

/** `image` minus its background level, a new image (NaN stays NaN). */
export function subtractBackground(image: FloatImage, background: Background): FloatImage {
  const out = floatImage(image.width, image.height)
  for (let i = 0; i < image.data.length; i++) out.data[i] = image.data[i]! - background.level.data[i]!
  return out
}
