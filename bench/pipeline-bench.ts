/**
 * `npm run bench`: prints one JSON line.
 * - pipeline: `imgpipe run` end to end over BENCH_IMAGES (default 2,000) mock images on the embedded defaults
 *   (SQLite, directory, in-process bus) in a child process: images/s, receive→alert and receive→analysed
 *   latency percentiles from the catalog's own timestamps, and the child's peak RSS;
 * - kernel: the analysis alone (decode + compare + encode the difference image) in this process;
 * - ratio: pipeline images/s over kernel images/s (the mock stream repeats bytes, which the analyze stage
 *   recognises by hash without decoding, so the ratio can exceed 1).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import sharp from 'sharp'
import { compareImages } from '../src/analysis/compare-images.js'
import { decodeImage, type RawImage } from '../src/analysis/decode-image.js'
import { differenceImage, encodeJpeg } from '../src/analysis/difference-image.js'
import { renderTeddyBear } from '../src/analysis/teddy-bear.js'
import { DEFAULTS } from '../src/config.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const images = Number(process.env['BENCH_IMAGES'] ?? 2000)
const kernelImages = Number(process.env['BENCH_KERNEL_IMAGES'] ?? 500)

async function kernel(): Promise<{ images: number; imagesPerSecond: number }> {
  const original = await renderTeddyBear(350)
  const rotated = await sharp(original).rotate(90).jpeg({ quality: 90 }).toBuffer()
  const limits = { maxImagePixels: DEFAULTS.maxImagePixels, maxImageBytes: DEFAULTS.maxImageBytes }
  let previous: RawImage = await decodeImage(original, limits)
  let sink = 0
  const started = process.hrtime.bigint()
  for (let index = 0; index < kernelImages; index += 1) {
    const current = await decodeImage(index % 2 === 0 ? rotated : original, limits)
    const metrics = compareImages(previous, current, { pixelTolerance: DEFAULTS.pixelTolerance })
    const jpeg = await encodeJpeg(differenceImage(previous, current))
    sink += metrics.changedFraction + jpeg.length
    previous = current
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (sink === 0) throw new Error('kernel did nothing')
  return { images: kernelImages, imagesPerSecond: round(kernelImages / seconds) }
}

interface ChildResult {
  seconds: number
  maxRssKb: number
  stdout: string
}

function runPipelineChild(dir: string): Promise<ChildResult> {
  const program = path.join(root, 'dist/cli/program.js')
  const script = [
    `import { runCli } from ${JSON.stringify(program)}`,
    `const code = await runCli(['node', 'imgpipe', 'run', '--count', '${images}', '--json'])`,
    `process.stderr.write('BENCH_MAX_RSS_KB ' + process.resourceUsage().maxRSS + '\\n')`,
    `process.exit(code)`,
  ].join('\n')
  const env = {
    ...process.env,
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'bench.db')}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
    IMGPIPE_BROKER_URL: 'memory:',
    IMGPIPE_LOG_LEVEL: 'warn',
  }
  const started = process.hrtime.bigint()
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const rss = /BENCH_MAX_RSS_KB (\d+)/.exec(stderr)
      if (code !== 0 || rss === null) return reject(new Error(`imgpipe run failed (${code}): ${stderr.slice(-2000)}`))
      resolve({ seconds, maxRssKb: Number(rss[1]), stdout })
    })
  })
}

function percentiles(values: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
  return { n: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(at(1)) }
}

function latencies(dbPath: string): { receiveToAlert: number[]; receiveToAnalyzed: number[] } {
  const db = new Database(dbPath, { readonly: true })
  try {
    const alerts = db
      .prepare(
        `SELECT i.received_at AS received, a.created_at AS done FROM image_event_alert a
           JOIN image_event e ON e.image_event_id = a.image_event_id JOIN image_metadata i ON i.image_id = e.image_id`,
      )
      .all() as { received: string; done: string }[]
    const analysed = db
      .prepare(`SELECT received_at AS received, analyzed_at AS done FROM image_metadata WHERE analyzed_at IS NOT NULL`)
      .all() as { received: string; done: string }[]
    const ms = (row: { received: string; done: string }): number => Date.parse(row.done) - Date.parse(row.received)
    return { receiveToAlert: alerts.map(ms), receiveToAnalyzed: analysed.map(ms) }
  } finally {
    db.close()
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imgpipe-bench-'))
  try {
    const kernelResult = await kernel()
    const child = await runPipelineChild(dir)
    const summary = JSON.parse(child.stdout) as { counts: { images: number; events: number; alerts: number } }
    if (summary.counts.images !== images) throw new Error(`expected ${images} images, the catalog has ${summary.counts.images}`)
    const lat = latencies(path.join(dir, 'bench.db'))
    const pipelinePerSecond = round(images / child.seconds)
    const line = {
      bench: 'imgpipe-pipeline',
      images,
      events: summary.counts.events,
      alerts: summary.counts.alerts,
      backends: 'sqlite + directory + in-process bus',
      pipeline_seconds: round(child.seconds),
      pipeline_images_per_s: pipelinePerSecond,
      latency_receive_to_alert_ms: percentiles(lat.receiveToAlert),
      latency_receive_to_analyzed_ms: percentiles(lat.receiveToAnalyzed),
      peak_rss_mb: round(child.maxRssKb / 1024),
      kernel_images: kernelResult.images,
      kernel_images_per_s: kernelResult.imagesPerSecond,
      ratio_pipeline_to_kernel: Math.round((pipelinePerSecond / kernelResult.imagesPerSecond) * 100) / 100,
      node: process.version,
      cpus: os.cpus().length,
    }
    process.stdout.write(`${JSON.stringify(line)}\n`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
