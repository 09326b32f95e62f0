/**
 * What the benchmarks share: running the built CLI in a child process with its peak RSS, percentiles, the
 * latencies the catalog's own timestamps record, and the analysis kernel alone over a set of images.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { analyzePair } from '../src/analysis/analyze-pair.js'
import { decodeImage, type RawImage } from '../src/analysis/decode-image.js'
import { mockImages } from '../src/analysis/mock-stream.js'

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The analysis settings of a default run: the bench measures what a user gets. */
export const ANALYSIS = { eventThreshold: 0.01, pixelTolerance: 48, maxImagePixels: 50_000_000, maxImageBytes: 100 * 1024 * 1024 }

export interface ChildResult {
  seconds: number
  maxRssKb: number
  stdout: string
  /** With `BENCH_OPERATION_COUNTS=1` and a metrics port: the process's service requests (kind → op → count). */
  operations: Record<string, Record<string, number>> | null
}

/** Runs `imgpipe <args>` through the built CLI in a child process; resolves with its time and peak RSS. */
export function runCliChild(
  args: readonly string[],
  env: Record<string, string>,
  onSpawn?: (child: ReturnType<typeof spawn>) => void,
): Promise<ChildResult> {
  const program = path.join(root, 'dist/cli/program.js')
  const script = [
    `import { runCli } from ${JSON.stringify(program)}`,
    `const code = await runCli(${JSON.stringify(['node', 'imgpipe', ...args])})`,
    // Not process.resourceUsage().maxRSS: Linux carries it across exec from the forked parent, so every child reported
    // at least the bench process's own RSS (the rss-1000 and rss-10000 lines gave the same figure). VmHWM is this
    // process's own peak.
    `const { readFileSync } = await import('node:fs')`,
    `let hwm = null`,
    `try { hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')) } catch {}`,
    `process.stderr.write('BENCH_MAX_RSS_KB ' + (hwm === null ? process.resourceUsage().maxRSS : hwm[1]) + '\\n')`,
    // The same tally the stage shows on /metrics, read after the stage stopped: a scrape could miss its last requests.
    `if (process.env.BENCH_OPERATION_COUNTS === '1') {`,
    `  const { operationCounts } = await import(${JSON.stringify(path.join(root, 'dist/adapters/prometheus/operation-counts.js'))})`,
    `  process.stderr.write('BENCH_OPERATIONS ' + JSON.stringify(operationCounts()) + '\\n')`,
    `}`,
    `process.exit(code)`,
  ].join('\n')
  const started = process.hrtime.bigint()
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, IMGPIPE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onSpawn?.(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const rss = /BENCH_MAX_RSS_KB (\d+)/.exec(stderr)
      if (code !== 0 || rss === null) return reject(new Error(`imgpipe ${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`))
      const operations = /BENCH_OPERATIONS (\{.*\})\n/.exec(stderr)
      resolve({ seconds, maxRssKb: Number(rss[1]), stdout, operations: operations === null ? null : JSON.parse(operations[1]!) })
    })
  })
}

/** A long-running stage (`imgpipe analyze`/`alert`) in a child process, stopped with SIGTERM. */
export interface RunningChild {
  name: string
  /** Resolves when the stage says it consumes. */
  consuming: Promise<void>
  stop(): Promise<ChildResult>
}

export function startCliChild(name: string, args: readonly string[], env: Record<string, string>): RunningChild {
  let child: ReturnType<typeof spawn> | undefined
  let announce!: () => void
  const consuming = new Promise<void>((resolve) => (announce = resolve))
  const finished = runCliChild(args, { IMGPIPE_LOG_LEVEL: 'info', ...env }, (spawned) => {
    child = spawned
    let seen = ''
    spawned.stderr?.on('data', (chunk: Buffer) => {
      if (seen.length < 100_000) seen += chunk.toString()
      if (seen.includes(': consuming"')) announce()
    })
  })
  finished.catch(() => undefined)
  return {
    name,
    consuming,
    async stop() {
      child?.kill('SIGTERM')
      return finished
    },
  }
}

export function percentiles(values: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
  return { n: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(at(1)) }
}

/** Receive→alert and receive→analysed latencies of every row, from a SQLite catalog's timestamps. */
export function sqliteLatencies(dbPath: string): { receiveToAlert: number[]; receiveToAnalyzed: number[] } {
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

/**
 * The analysis kernel alone over a stream of images, doing per image what the analyze stage does: decode it,
 * compare it with its (already decoded) predecessor, and encode the difference image when it is an event. Byte
 * copies of the predecessor are skipped as the stage skips them (by hash), so the kernel and the pipeline do the
 * same work on the same images.
 */
export async function kernel(images: readonly Buffer[]): Promise<{ images: number; events: number; imagesPerSecond: number }> {
  let previous: { bytes: Buffer; pixels: RawImage } | null = null
  let events = 0
  const started = process.hrtime.bigint()
  for (const bytes of images) {
    if (previous !== null && previous.bytes.equals(bytes)) continue
    const pixels = await decodeImage(bytes, ANALYSIS)
    if (previous !== null) {
      const result = await analyzePair(previous.pixels, pixels, ANALYSIS)
      if (result.event !== null) events += 1
    }
    previous = { bytes, pixels }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return { images: images.length, events, imagesPerSecond: round(images.length / seconds) }
}

/** The mock stream's images (as `imgpipe run` makes them), in memory, for the kernel-alone measurement. */
export async function mockStreamImages(count: number, changeEvery: number, size = 350, noise = 0): Promise<Buffer[]> {
  const images: Buffer[] = []
  for await (const image of mockImages({ count, changeEvery, size, noise })) images.push(image.bytes)
  return images
}

export function round(value: number): number {
  return Math.round(value * 10) / 10
}

export function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100
}
