/**
 * Peak RSS of the analyze path on a stream of float frames, for `npm run bench:fits` (which writes the frames and
 * runs this file in a fresh process: maxRSS is a high-water mark of the whole process, so nothing else may run in
 * it first). `node fits-analyze-bench.js DIR`: every `*.fits` file of DIR, in name order, goes through the real
 * pipeline in this process — receive (as a source that knows its frames valid), the analyze stage (pixel source,
 * decode cache, float pixel-diff, zscale + asinh difference JPEGs) and alert — on SQLite in memory, a file object
 * store and the in-process bus, with the default settings (decode cache 256 MiB, 4 analyses in flight). One JSON line.
 * `node fits-analyze-bench.js DIR THRESHOLD`: with that event threshold instead of the default 0.01; 0 makes every
 * frame with a changed pixel an event, so each one also makes its difference JPEG (the worst case for memory).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FsObjectStore } from '../src/adapters/fs/fs-object-store.js'
import { MemoryBus } from '../src/adapters/memory/memory-bus.js'
import { openSqliteCatalog } from '../src/adapters/sqlite/sqlite-catalog.js'
import { loadConfig } from '../src/config/load-config.js'
import { silentLogger } from '../src/core/logger.js'
import { LogChannel } from '../src/adapters/log/log-channel.js'
import type { IncomingImage } from '../src/stages/receive/image-source.js'
import { runPipeline } from '../src/stages/run-pipeline.js'
import { topicsFor } from '../src/stages/stage-context.js'

/** The bound for a stream of 4096×4096 float frames. */
const RSS_BOUND_MB = 600

const dir = process.argv[2]
const eventThreshold = process.argv[3] === undefined ? undefined : Number(process.argv[3])
if (dir === undefined) throw new Error('usage: fits-analyze-bench DIR (a folder of .fits frames of one size)')
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.fits'))
  .sort()
const { width, height } = sizeOf(readFileSync(path.join(dir, files[0]!)))

/** NAXIS1 and NAXIS2 of a FITS primary header (the frames are imgpipe's own: fixed-format cards). */
function sizeOf(bytes: Buffer): { width: number; height: number } {
  const header = bytes.subarray(0, 2880).toString('latin1')
  const value = (keyword: string) => Number(/=\s*(\d+)/.exec(header.slice(header.indexOf(keyword.padEnd(8) + '='), 80 * 36))![1])
  return { width: value('NAXIS1'), height: value('NAXIS2') }
}

async function* frames(): AsyncGenerator<IncomingImage> {
  for (const [index, filename] of files.entries()) {
    const bytes = readFileSync(path.join(dir!, filename))
    yield { stream: 'sky', imageNum: index + 1, filename, bytes, byteSize: bytes.length, known: { format: 'fits', width, height } }
  }
}

const storeDir = mkdtempSync(path.join(os.tmpdir(), 'imgpipe-fits-analyze-bench-'))
const catalog = openSqliteCatalog({ path: ':memory:' })
const store = new FsObjectStore(storeDir)
const bus = new MemoryBus({ defaultPartitions: 1 })
try {
  const { analysis } = loadConfig({})
  await catalog.migrate()
  await store.ensureReady()
  const start = process.hrtime.bigint()
  const report = await runPipeline(
    {
      catalog,
      store,
      bus,
      topics: topicsFor({ topicPrefix: '' }),
      analysis: { ...analysis, eventThreshold: eventThreshold ?? analysis.eventThreshold },
      logger: silentLogger,
      partitions: 1,
    },
    {
      channels: [new LogChannel(silentLogger)],
      source: frames(),
      analyze: true,
      alert: true,
      until: 'drained',
      stop: new AbortController().signal,
      pollMs: 20,
    },
  )
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024)
  console.log(
    JSON.stringify({
      bench: 'fits',
      case: 'analyze-stream-rss',
      frames: files.length,
      width,
      height,
      analyzed: report.processed.analyzed,
      failed: report.processed.failed,
      event_threshold: eventThreshold ?? analysis.eventThreshold,
      events: report.processed.events,
      seconds: Math.round(seconds * 100) / 100,
      peak_rss_mb: peakRssMb,
      bound_rss_mb: RSS_BOUND_MB,
      within_bound: peakRssMb <= RSS_BOUND_MB,
    }),
  )
} finally {
  await bus.close()
  await store.close()
  await catalog.close()
  rmSync(storeDir, { recursive: true, force: true })
}
