import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CatalogUnavailableError } from '../../src/core/errors.js'
import { LogChannel } from '../../src/adapters/log/log-channel.js'
import { mockSource } from '../../src/stages/receive/mock-source.js'
import { isDrained, runPipeline, type PipelineContext, type PipelinePlan } from '../../src/stages/run-pipeline.js'
import { memoryContext, type TestContext } from '../support/memory-context.js'

let context: TestContext
beforeEach(async () => {
  context = await memoryContext()
})
afterEach(async () => {
  await context.close()
})

function pipeline(extra: Partial<PipelineContext> = {}): PipelineContext {
  const { catalog, store, bus, topics, analysis, logger } = context
  return { catalog, store, bus, topics, analysis, logger, partitions: 2, ...extra }
}

function plan(extra: Partial<PipelinePlan> = {}): PipelinePlan {
  return {
    channels: [new LogChannel(context.logger)],
    analyze: true,
    alert: true,
    until: 'drained',
    stop: new AbortController().signal,
    pollMs: 5,
    ...extra,
  }
}

describe('runPipeline', () => {
  it('keeps a long-running stage up while the catalog briefly does not answer its progress poll', async () => {
    const counts = context.catalog.counts.bind(context.catalog)
    let failures = 3
    vi.spyOn(context.catalog, 'counts').mockImplementation(async (streams) => {
      if (failures > 0) {
        failures -= 1
        throw new CatalogUnavailableError('database unavailable (test)')
      }
      return counts(streams)
    })
    const stop = new AbortController()
    const running = runPipeline(pipeline(), plan({ until: 'stopped', stop: stop.signal }))
    await vi.waitFor(() => expect(failures).toBe(0))
    await new Promise((resolve) => setTimeout(resolve, 20))
    stop.abort()
    expect((await running).stopped).toBe(true)
  })

  it('runs the three stages in one process until drained', async () => {
    const report = await runPipeline(pipeline(), plan({ source: mockSource({ streams: ['a', 'b'], count: 8, changeEvery: 4 }) }))
    expect(report.stopped).toBe(false)
    expect(report.outcomes).toEqual({ received: 16, failed: 0, duplicate: 0 })
    expect(report.counts).toMatchObject({ images: 16, imagesAnalyzed: 16, imagesReceived: 0, events: 4, alerts: 4, alertsUndelivered: 0 })
    const views = await context.catalog.listAlertViews({ limit: 10 })
    expect(views.map((view) => `${view.image.stream}:${view.image.imageNum}`).sort()).toEqual(['a:3', 'a:7', 'b:3', 'b:7'])
    for (const view of views) expect(view.previousImage?.imageNum).toBe((view.image.imageNum ?? 0) - 1)
  })

  it('creates both topics with the pipeline’s partitions before a stage publishes, also for a consumer-only process', async () => {
    const ensureTopics = vi.spyOn(context.bus, 'ensureTopics')
    const publish = vi.spyOn(context.bus, 'publish')
    await runPipeline(pipeline({ partitions: 3 }), plan({ analyze: false }))
    expect(ensureTopics.mock.calls[0]?.[0]).toEqual([
      { name: 'image_analysis', partitions: 3 },
      { name: 'image_event_alert', partitions: 3 },
    ])
    expect(ensureTopics.mock.invocationCallOrder[0]).toBeLessThan(publish.mock.invocationCallOrder[0] ?? Number.POSITIVE_INFINITY)
  })

  it('picks up work left in the database by a crashed run', async () => {
    // A receive-only run: images recorded and published on a bus that then "dies".
    await runPipeline(pipeline(), plan({ source: mockSource({ streams: ['a'], count: 4, changeEvery: 4 }), analyze: false, alert: false }))
    expect((await context.catalog.counts()).imagesReceived).toBe(4)
    const { MemoryBus } = await import('../../src/adapters/memory/memory-bus.js')
    const report = await runPipeline(pipeline({ bus: new MemoryBus() }), plan())
    expect(report.counts).toMatchObject({ imagesAnalyzed: 4, events: 1, alerts: 1 })
  })

  it('returns when stopped, without waiting for a source that never ends', async () => {
    const stop = new AbortController()
    const running = runPipeline(pipeline(), plan({ until: 'stopped', stop: stop.signal }))
    setTimeout(() => stop.abort(), 20)
    expect((await running).stopped).toBe(true)
  })

  it('knows when a pipeline is drained for the stages it runs', () => {
    const counts = { images: 3, imagesReceived: 1, imagesAnalyzed: 2, imagesFailed: 0, events: 1, alerts: 0, alertsUndelivered: 0 }
    expect(isDrained(counts, { analyze: true, alert: true })).toBe(false)
    expect(isDrained(counts, { analyze: false, alert: false })).toBe(true)
    expect(isDrained({ ...counts, imagesReceived: 0 }, { analyze: true, alert: false })).toBe(true)
    expect(isDrained({ ...counts, imagesReceived: 0, alerts: 1, alertsUndelivered: 1 }, { analyze: true, alert: true })).toBe(false)
  })
})
