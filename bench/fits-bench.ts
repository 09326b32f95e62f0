/**
 * `npm run bench:fits`: how fast FITS images are read into float32, one JSON line per case.
 * - read-f32: a 4096×4096 BITPIX −32 file from disk (readFile + readFits); target ≤ 0.3 s. Printed beside it, the
 *   memory-bandwidth floor: one copy of the same number of bytes.
 * - read-f32-reuse-input: the same with `reuseInput` (pixels swapped in the bytes read, no second buffer).
 * - read-rice16: the same size as 16-bit integers, RICE_1 tile-compressed by fpack (row tiles); target ≤ 1.5 s.
 *   Skipped with a note when `fpack` (Debian's libcfitsio-bin, a test oracle) is not installed.
 * - read-gzip: the BITPIX −32 file gzipped (.fits.gz), for comparison.
 * - analyze-stream-rss: peak RSS of a fresh process running the pipeline's analyze path on a stream of
 *   BENCH_FITS_FRAMES (default 8) mock-sky frames of SIZE² float pixels (see fits-analyze-bench.ts); bound 600 MB.
 *   Twice: with the default event threshold, and with threshold 0 (every frame an event with its difference JPEG).
 * Each case runs BENCH_FITS_RUNS times (default 5); printed: the median and fastest wall-clock times and the median CPU
 * time (user + system), which a loaded machine disturbs less.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { readFits } from '../src/analysis/fits/fits-reader.js'
import { writeFits } from '../src/analysis/fits/fits-writer.js'
import type { FloatImage } from '../src/analysis/float-image.js'
import { DEFAULT_MOCK_SKY, renderMockSkyFrame } from '../src/analysis/sky/mock-sky.js'

const SIZE = Number(process.env['BENCH_FITS_SIZE'] ?? 4096)
const RUNS = Number(process.env['BENCH_FITS_RUNS'] ?? 5)
const MAX_PIXELS = SIZE * SIZE
const FRAMES = Number(process.env['BENCH_FITS_FRAMES'] ?? 8)

/** A sky-like frame: background with noise (a cheap deterministic generator) and a grid of stars. */
function skyFrame(size: number, integers: boolean): FloatImage {
  const data = new Float32Array(size * size)
  let state = 12345
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    const noise = ((state >>> 8) / 16777216 - 0.5) * 40
    data[i] = 1000 + noise
  }
  for (let sy = 32; sy < size; sy += 128) {
    for (let sx = 32; sx < size; sx += 128) {
      for (let dy = -6; dy <= 6; dy++) {
        for (let dx = -6; dx <= 6; dx++) data[(sy + dy) * size + sx + dx]! += 20000 * Math.exp(-(dx * dx + dy * dy) / 4)
      }
    }
  }
  if (integers) for (let i = 0; i < data.length; i++) data[i] = Math.round(data[i]!)
  return { width: size, height: size, data }
}

/** Wall-clock and CPU seconds of one run: on a shared, loaded machine the CPU time is the steadier figure. */
function time(action: () => void): { wall: number; cpu: number } {
  const cpuStart = process.cpuUsage()
  const start = process.hrtime.bigint()
  action()
  const cpu = process.cpuUsage(cpuStart)
  return { wall: Number(process.hrtime.bigint() - start) / 1e9, cpu: (cpu.user + cpu.system) / 1e6 }
}

function summary(times: { wall: number; cpu: number }[]): { seconds_median: number; seconds_min: number; cpu_seconds_median: number } {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const round = (value: number) => Math.round(value * 10000) / 10000
  const walls = times.map((run) => run.wall)
  return {
    seconds_median: round(median(walls)),
    seconds_min: round(Math.min(...walls)),
    cpu_seconds_median: round(median(times.map((run) => run.cpu))),
  }
}

function readCase(file: string, reuseInput = false): { wall: number; cpu: number }[] {
  const times: { wall: number; cpu: number }[] = []
  for (let run = 0; run < RUNS; run++) {
    times.push(
      time(() => {
        const image = readFits(readFileSync(file), { maxPixels: MAX_PIXELS, reuseInput }).image
        if (image.width !== SIZE) throw new Error('wrong size read')
      }),
    )
  }
  return times
}

function hasFpack(): boolean {
  try {
    execFileSync('fpack', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'imgpipe-fits-bench-'))
try {
  const f32File = path.join(dir, 'frame-f32.fits')
  const bytes = writeFits(skyFrame(SIZE, false))
  writeFileSync(f32File, bytes)

  const dataBytes = SIZE * SIZE * 4
  const source = new Uint8Array(bytes.buffer, bytes.byteOffset + 2880, dataBytes)
  const floorTimes: { wall: number; cpu: number }[] = []
  for (let run = 0; run < RUNS; run++) {
    const target = new Uint8Array(dataBytes)
    floorTimes.push(time(() => target.set(source)))
  }
  const floor = summary(floorTimes)
  const f32 = summary(readCase(f32File))
  console.log(
    JSON.stringify({
      bench: 'fits',
      case: 'read-f32',
      width: SIZE,
      height: SIZE,
      bytes: bytes.length,
      ...f32,
      target_seconds: 0.3,
      copy_floor_seconds: floor.seconds_median,
      copy_floor_cpu_seconds: floor.cpu_seconds_median,
    }),
  )

  const reuse = summary(readCase(f32File, true))
  console.log(
    JSON.stringify({
      bench: 'fits',
      case: 'read-f32-reuse-input',
      width: SIZE,
      height: SIZE,
      bytes: bytes.length,
      ...reuse,
      target_seconds: 0.3,
    }),
  )

  if (hasFpack()) {
    const i16File = path.join(dir, 'frame-i16.fits')
    const riceFile = path.join(dir, 'frame-i16.fits.fz')
    writeFileSync(i16File, writeFits(skyFrame(SIZE, true), [], { bitpix: 16, bscale: 1, bzero: 0 }))
    execFileSync('fpack', ['-r', '-O', riceFile, i16File])
    const rice = summary(readCase(riceFile))
    const riceBytes = readFileSync(riceFile).length
    console.log(
      JSON.stringify({ bench: 'fits', case: 'read-rice16', width: SIZE, height: SIZE, bytes: riceBytes, ...rice, target_seconds: 1.5 }),
    )
  } else {
    console.log(JSON.stringify({ bench: 'fits', case: 'read-rice16', skipped: 'fpack is not installed (Debian libcfitsio-bin)' }))
  }

  const gzFile = path.join(dir, 'frame-f32.fits.gz')
  writeFileSync(gzFile, gzipSync(bytes, { level: 6 }))
  const gz = summary(readCase(gzFile))
  console.log(
    JSON.stringify({ bench: 'fits', case: 'read-gzip-f32', width: SIZE, height: SIZE, bytes: readFileSync(gzFile).length, ...gz }),
  )

  analyzeStream(path.join(dir, 'stream'))
} finally {
  rmSync(dir, { recursive: true, force: true })
}

/**
 * Writes FRAMES mock-sky frames (one field: stars, seeing and pointing that vary frame to frame, a new source half-way)
 * and runs fits-analyze-bench.js on them in a fresh process, whose JSON line (peak RSS) is printed as it is.
 */
function analyzeStream(framesDir: string): void {
  mkdirSync(framesDir)
  // The default field's star density (400 per 1024²) at SIZE².
  const sky = { ...DEFAULT_MOCK_SKY, frames: FRAMES, width: SIZE, height: SIZE, stars: Math.round(400 * (SIZE / 1024) ** 2) }
  for (let frame = 1; frame <= FRAMES; frame++) {
    const rendered = renderMockSkyFrame(sky, 0, frame)
    writeFileSync(path.join(framesDir, `frame_${String(frame).padStart(3, '0')}.fits`), writeFits(rendered.image, rendered.cards))
  }
  const script = fileURLToPath(new URL('./fits-analyze-bench.js', import.meta.url))
  for (const threshold of [[], ['0']]) {
    process.stdout.write(
      execFileSync(process.execPath, [script, framesDir, ...threshold], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
    )
  }
}
