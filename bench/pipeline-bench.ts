/**
 * `npm run bench`: one JSON line per scenario, on the embedded defaults (SQLite, directory, in-process bus), each
 * run in a child process that is timed as a whole (start-up and schema creation included):
 * - `mock`: `imgpipe run` over the original's mock stream (three of four images are byte copies);
 * - `noisy-350` and `noisy-2048`: every image distinct (the mock stream plus sensor noise, rotated every 4th),
 *   written to files first and received with `imgpipe ingest`, as a camera's frames would be;
 * - `all-events`: `imgpipe run --change-every 1`, every image an event (a difference image per image);
 * - `rss-1000` / `rss-10000`: peak RSS of `imgpipe run` at 1,000 and 10,000 images (it must stay flat).
 * For each pipeline scenario the same images go through the analysis kernel alone in this process (decode,
 * compare, encode the difference image on events), and `ratio_pipeline_to_kernel` is pipeline images/s over kernel
 * images/s. The pipeline's figure is the whole command: Node's start, module loading, schema creation, receiving
 * (for `ingest`: reading the files, a full decode to validate each, its SHA-256, the object write), analysing
 * (reading the object back, checking its hash, compare, difference image on events), alerting, and the exit; the
 * kernel's is decode + compare + encode on a warm process. `startup_seconds` is the same command on the first image
 * alone, and `steady_*` the rate without it: (images − 1) / (pipeline − startup).
 * `BENCH_SCENARIOS=mock,noisy-350` picks scenarios; `BENCH_SCALE=0.2` shortens every run.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { kernel, mockStreamImages, percentiles, ratio, round, runCliChild, sqliteLatencies } from './bench-support.js'

const scale = Number(process.env['BENCH_SCALE'] ?? 1)
const only = process.env['BENCH_SCENARIOS']?.split(',').map((name) => name.trim())

interface Scenario {
  name: string
  count: number
  changeEvery: number
  size: number
  noise: number
  /** `run` generates the mock stream in the pipeline process; `ingest` reads files written beforehand. */
  via: 'run' | 'ingest'
  /** Only peak RSS matters (no kernel run). */
  rssOnly?: boolean
}

const SCENARIOS: Scenario[] = [
  { name: 'mock', count: 2000, changeEvery: 4, size: 350, noise: 0, via: 'run' },
  { name: 'noisy-350', count: 1000, changeEvery: 4, size: 350, noise: 6, via: 'ingest' },
  { name: 'noisy-2048', count: 60, changeEvery: 4, size: 2048, noise: 6, via: 'ingest' },
  { name: 'all-events', count: 500, changeEvery: 1, size: 350, noise: 0, via: 'run' },
  { name: 'rss-1000', count: 1000, changeEvery: 4, size: 350, noise: 0, via: 'run', rssOnly: true },
  { name: 'rss-10000', count: 10000, changeEvery: 4, size: 350, noise: 0, via: 'run', rssOnly: true },
]

async function runScenario(scenario: Scenario, dir: string): Promise<Record<string, unknown>> {
  const count = Math.max(8, Math.round(scenario.count * scale))
  const dbPath = path.join(dir, 'bench.db')
  const env = {
    IMGPIPE_DATABASE_URL: `sqlite:${dbPath}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
    IMGPIPE_BROKER_URL: 'memory:',
  }
  const images = scenario.rssOnly === true ? [] : await mockStreamImages(count, scenario.changeEvery, scenario.size, scenario.noise)
  const child = await runCliChild(await commandFor(scenario, images, count, path.join(dir, 'frames')), env)
  const perSecond = round(count / child.seconds)
  const line: Record<string, unknown> = {
    bench: 'imgpipe-embedded',
    scenario: scenario.name,
    images: count,
    size: scenario.size,
    noise: scenario.noise,
    via: `imgpipe ${scenario.via}`,
    pipeline_seconds: round(child.seconds),
    pipeline_images_per_s: perSecond,
    peak_rss_mb: round(child.maxRssKb / 1024),
  }
  if (scenario.rssOnly !== true) {
    const latencies = sqliteLatencies(dbPath)
    const alone = await kernel(images)
    const startup = await startupSeconds(scenario, images, dir)
    const steady = round((count - 1) / Math.max(0.001, child.seconds - startup))
    Object.assign(line, {
      events: alone.events,
      latency_receive_to_alert_ms: percentiles(latencies.receiveToAlert),
      latency_receive_to_analyzed_ms: percentiles(latencies.receiveToAnalyzed),
      kernel_images_per_s: alone.imagesPerSecond,
      ratio_pipeline_to_kernel: ratio(perSecond, alone.imagesPerSecond),
      startup_seconds: round(startup),
      steady_images_per_s: steady,
      ratio_steady_to_kernel: ratio(steady, alone.imagesPerSecond),
    })
  }
  return { ...line, backends: 'sqlite + directory + in-process bus', node: process.version, cpus: os.cpus().length }
}

/** The scenario's command: `ingest` of the images written as files into `frames`, or `run` of `count` mock images. */
async function commandFor(scenario: Scenario, images: readonly Buffer[], count: number, frames: string): Promise<string[]> {
  if (scenario.via === 'ingest') {
    await mkdir(frames)
    await Promise.all(images.map((bytes, index) => writeFile(path.join(frames, `frame_${String(index + 1).padStart(6, '0')}.jpg`), bytes)))
    return ['ingest', frames, '--stream', 'bench', '--json']
  }
  return ['run', '--count', String(count), '--change-every', String(scenario.changeEvery), '--size', String(scenario.size), '--json']
}

/** The same command on the first image alone, on fresh backends: what a run costs besides its images. */
async function startupSeconds(scenario: Scenario, images: readonly Buffer[], dir: string): Promise<number> {
  const root = path.join(dir, 'startup')
  await mkdir(root)
  const env = {
    IMGPIPE_DATABASE_URL: `sqlite:${path.join(root, 'bench.db')}`,
    IMGPIPE_OBJECT_STORE_URL: `file:${path.join(root, 'objects')}`,
    IMGPIPE_BROKER_URL: 'memory:',
  }
  return (await runCliChild(await commandFor(scenario, images.slice(0, 1), 1, path.join(root, 'frames')), env)).seconds
}

for (const scenario of SCENARIOS) {
  if (only !== undefined && !only.includes(scenario.name)) continue
  const dir = await mkdtemp(path.join(os.tmpdir(), `imgpipe-bench-${scenario.name}-`))
  try {
    process.stdout.write(`${JSON.stringify(await runScenario(scenario, dir))}\n`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
