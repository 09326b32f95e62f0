import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CatalogUnavailableError, InvalidImageError } from '../../src/core/errors.js'
import { consumeTopic, messageWorker } from '../../src/stages/message-worker.js'
import { drainTopic, memoryContext, message, type TestContext } from '../support/memory-context.js'

let context: TestContext
beforeEach(async () => {
  context = await memoryContext()
})
afterEach(async () => {
  await context.close()
})

describe('messageWorker', () => {
  it('retries a transient failure until it passes', async () => {
    let calls = 0
    const handler = messageWorker(context, 'test', async () => {
      calls += 1
      if (calls < 3) throw new CatalogUnavailableError('database restarting')
    })
    await handler(message('image_analysis', '{}'))
    expect(calls).toBe(3)
    expect(await drainTopic(context.bus, 'image_analysis_dead_letter')).toHaveLength(0)
  })

  it('parks a permanent failure on the dead-letter topic with its reason, once', async () => {
    let calls = 0
    const handler = messageWorker(context, 'test', async () => {
      calls += 1
      throw new InvalidImageError('garbage')
    })
    await handler(message('image_analysis', 'payload', 'cam'))
    expect(calls).toBe(1)
    const parked = await drainTopic(context.bus, 'image_analysis_dead_letter')
    expect(parked).toHaveLength(1)
    expect(parked[0]!.key).toBe('cam')
    expect(JSON.parse(parked[0]!.value)).toMatchObject({
      topic: 'image_analysis',
      value: 'payload',
      error: { code: 'IMGPIPE_IMAGE_INVALID', message: 'garbage' },
    })
  })

  it('gives the message back (throws) when the stage is shutting down', async () => {
    const handler = messageWorker(context, 'test', async () => {
      context.abort.abort()
      throw new CatalogUnavailableError('gone')
    })
    await expect(handler(message('image_analysis', '{}'))).rejects.toMatchObject({ code: 'IMGPIPE_CLOSED' })
  })
})

describe('consumeTopic', () => {
  /** The most handlers in flight at once while 12 messages are consumed in batches of 8 with 2 handlers each. */
  async function peakInFlight(options: { wholeBatch?: boolean }): Promise<number> {
    await context.bus.ensureTopics([{ name: 'work', partitions: 1 }])
    await context.bus.publish(
      'work',
      Array.from({ length: 12 }, (_, index) => ({ key: 'k', value: String(index) })),
    )
    let inFlight = 0
    let peak = 0
    const consumer = { ...context, consumer: { batchSize: 8, concurrency: 2 } }
    const group = `g-${options.wholeBatch === true ? 'whole' : 'plain'}`
    const subscription = await consumeTopic(
      consumer,
      'test',
      { topic: 'work', group },
      async () => {
        inFlight += 1
        peak = Math.max(peak, inFlight)
        await new Promise((resolve) => setTimeout(resolve, 5))
        inFlight -= 1
      },
      options,
    )
    await context.bus.whenConsumed('work', group)
    await subscription.close()
    return peak
  }

  it('keeps the configured handlers in flight, or a whole batch for a stage that coalesces its I/O', async () => {
    expect(await peakInFlight({})).toBe(2)
    expect(await peakInFlight({ wholeBatch: true })).toBe(8)
  })
})
