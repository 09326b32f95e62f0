/**
 * A StageContext over the embedded adapters — SQLite in memory, the in-memory store and bus — for unit
 * tests of the stages. Real adapters, no mocks: what the stages write is read back through them.
 */
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js'
import { FsObjectStore } from '../../src/adapters/fs/fs-object-store.js'
import { MemoryObjectStore } from '../../src/adapters/memory/memory-object-store.js'
import { openSqliteBackend } from '../../src/adapters/sqlite/sqlite-catalog.js'
import { catalogWithRawSql, type SqlCatalogWithRaw } from './raw-sql.js'
import type { Catalog } from '../../src/core/ports/catalog.js'
import { loadConfig } from '../../src/config/load-config.js'
import { silentLogger } from '../../src/core/logger.js'
import type { ReceivedMessage } from '../../src/core/ports/bus.js'
import type { ImageRecord } from '../../src/core/types.js'
import { LogChannel } from '../../src/adapters/log/log-channel.js'
import { mockSource } from '../../src/stages/receive/mock-source.js'
import { ReceiveStage } from '../../src/stages/receive/receive-stage.js'
import { runPipeline, type PipelineReport } from '../../src/stages/run-pipeline.js'
import { topicsFor, type StageContext } from '../../src/stages/stage-context.js'

export interface TestContext extends StageContext<SqlCatalogWithRaw> {
  catalog: SqlCatalogWithRaw
  store: MemoryObjectStore
  bus: MemoryBus
  abort: AbortController
  close(): Promise<void>
}

export async function memoryContext(): Promise<TestContext> {
  const catalog = catalogWithRawSql(openSqliteBackend({ path: ':memory:' }))
  await catalog.migrate()
  const store = new MemoryObjectStore()
  await store.ensureReady()
  const bus = new MemoryBus({ defaultPartitions: 1 })
  const abort = new AbortController()
  return {
    catalog,
    store,
    bus,
    abort,
    topics: topicsFor({ topicPrefix: '' }),
    analysis: loadConfig({}).analysis,
    logger: silentLogger,
    signal: abort.signal,
    openAnalysisDir: (dir) => new FsObjectStore(dir, { fsync: false }),
    async close() {
      abort.abort()
      await bus.close()
      await store.close()
      await catalog.close()
    },
  }
}

/** Everything published on a topic so far, read by a throw-away consumer group. */
export async function drainTopic(bus: MemoryBus, topic: string): Promise<ReceivedMessage[]> {
  const seen: ReceivedMessage[] = []
  const group = `probe-${Math.random().toString(36).slice(2)}`
  const subscription = await bus.subscribe({ topic, group, handler: async (message) => void seen.push(message) })
  await bus.whenConsumed(topic, group)
  await subscription.close()
  return seen
}

/** A message as the bus would deliver it, for calling a stage's handler directly. */
export function message(topic: string, value: string, key = 'mock'): ReceivedMessage {
  return { topic, partition: 0, offset: 0n, key, value }
}

/**
 * The real pipeline over the context until drained: images `from`..`count` of each stream of the mock source
 * (the teddy bear, rotated when n % changeEvery == changeEvery - 1).
 */
export async function runMockPipeline(
  context: Omit<StageContext<Catalog>, 'signal'>,
  options: { streams: readonly string[]; count: number; changeEvery?: number; from?: number },
): Promise<PipelineReport> {
  const report = await runPipeline(
    { ...context, partitions: 1 },
    {
      channels: [new LogChannel(context.logger)],
      source: mockSource({
        streams: options.streams,
        count: options.count,
        changeEvery: options.changeEvery ?? 4,
        startAt: () => options.from ?? 1,
      }),
      analyze: true,
      alert: true,
      until: 'drained',
      stop: new AbortController().signal,
      pollMs: 5,
    },
  )
  if (report.outcomes.failed > 0) throw new Error(`mock run failed for ${report.outcomes.failed} images`)
  return report
}

/** Receives one numbered image through the real receive stage and returns its row. */
export async function receiveNumbered(
  context: StageContext<Catalog>,
  image: { stream: string; imageNum: number; bytes: Buffer; filename: string },
): Promise<ImageRecord> {
  const outcome = await new ReceiveStage(context).receive({ ...image, byteSize: image.bytes.length })
  return outcome.image
}
