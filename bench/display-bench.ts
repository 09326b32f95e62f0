/**
 * `npm run bench:display`: one JSON line per measurement of the display path on a BENCH_DISPLAY_SIZE² float32
 * image (default 4096², the target: zscale + asinh preview ≤ 0.5 s): a sky of noise and stars with a
 * masked column. Each figure is the best and the median of BENCH_DISPLAY_RUNS (default 5) runs in this process.
 */
import os from 'node:os'
import { preview } from '../src/analysis/display/preview.js'
import { zscale } from '../src/analysis/display/zscale.js'
import { floatImage, type FloatImage } from '../src/analysis/float-image.js'

const size = Number(process.env['BENCH_DISPLAY_SIZE'] ?? 4096)
const runs = Number(process.env['BENCH_DISPLAY_RUNS'] ?? 5)

/** A deterministic star field: background 1000, Gaussian noise σ 30, 3000 Gaussian stars, one masked column. */
function skyImage(n: number): FloatImage {
  const image = floatImage(n, n)
  let seed = 12345
  const random = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    return seed / 2 ** 32
  }
  const { data } = image
  for (let i = 0; i < data.length; i += 2) {
    // Box-Muller: two normal deviates per pair of uniforms.
    const r = Math.sqrt(-2 * Math.log(random() + 1e-12))
    const a = 2 * Math.PI * random()
    data[i] = 1000 + 30 * r * Math.cos(a)
    if (i + 1 < data.length) data[i + 1] = 1000 + 30 * r * Math.sin(a)
  }
  for (let s = 0; s < 3000; s++) {
    const cx = random() * n
    const cy = random() * n
    const flux = 200 * Math.exp(random() * 7)
    for (let y = Math.max(0, Math.floor(cy - 8)); y < Math.min(n, cy + 8); y++) {
      for (let x = Math.max(0, Math.floor(cx - 8)); x < Math.min(n, cx + 8); x++) {
        data[y * n + x]! += flux * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 1.5 ** 2))
      }
    }
  }
  for (let y = 0; y < n; y++) data[y * n + Math.floor(n / 3)] = NaN
  return image
}

/**
 * Wall-clock and CPU seconds (user + system of this process): on a shared machine the wall clock measures the
 * other tenants as much as this code, so both are printed, with the load average at the start.
 */
function measure(name: string, work: () => unknown): void {
  const wall: number[] = []
  const cpu: number[] = []
  for (let run = 0; run < runs; run++) {
    const started = process.hrtime.bigint()
    const cpuStarted = process.cpuUsage()
    work()
    const used = process.cpuUsage(cpuStarted)
    wall.push(Number(process.hrtime.bigint() - started) / 1e9)
    cpu.push((used.user + used.system) / 1e6)
  }
  const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b)
  const round = (value: number): number => Math.round(value * 1e4) / 1e4
  const [w, c] = [sorted(wall), sorted(cpu)]
  console.log(
    JSON.stringify({
      bench: name,
      width: size,
      height: size,
      runs,
      bestSeconds: round(w[0]!),
      medianSeconds: round(w[runs >> 1]!),
      bestCpuSeconds: round(c[0]!),
      medianCpuSeconds: round(c[runs >> 1]!),
      loadAverage1m: round(os.loadavg()[0]!),
      cpus: os.cpus().length,
    }),
  )
}

const image = skyImage(size)
measure('zscale', () => zscale(image.data))
measure('zscale+asinh preview, full size', () => preview(image, { stretch: 'asinh' }))
measure('zscale+asinh preview, maxSize 1024', () => preview(image, { stretch: 'asinh', maxSize: 1024 }))
measure('zscale+linear preview, full size', () => preview(image, { stretch: 'linear' }))
