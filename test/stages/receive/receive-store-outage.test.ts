import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { renderTeddyBear } from '../../../src/analysis/teddy-bear.js'
import { StoreUnavailableError } from '../../../src/core/errors.js'
import { ReceiveStage } from '../../../src/stages/receive/receive-stage.js'
import { ensurePipelineTopics } from '../../../src/stages/run-pipeline.js'
import { memoryContext, type TestContext } from '../../support/memory-context.js'

let context: TestContext
beforeEach(async () => {
  context = await memoryContext()
})
afterEach(async () => {
  await context.close()
})

describe('ReceiveStage during an object store outage', () => {
  it('retries every put of a window without adding abort listeners per retry (no MaxListenersExceededWarning)', async () => {
    // Found with S3Proxy stopped for 30 s under `receive`: 16 puts in flight, each sleeping between retries with its
    // own listener on the stage's signal, made Node print a raw warning outside the JSON log.
    const warnings: Error[] = []
    const onWarning = (warning: Error): number => warnings.push(warning)
    process.on('warning', onWarning)
    const put = context.store.put.bind(context.store)
    let refused = 0
    context.store.put = async (key: string, bytes: Uint8Array) => {
      if (refused < 48) {
        refused += 1
        throw new StoreUnavailableError('store outage (test)')
      }
      return put(key, bytes)
    }
    try {
      const stage = new ReceiveStage(context)
      await ensurePipelineTopics(context, 1)
      const teddy = await renderTeddyBear(32)
      const window = Array.from({ length: 24 }, (_, i) => {
        const bytes = Buffer.concat([teddy, Buffer.from([i])]) // distinct bytes: no duplicates
        return { stream: 'outage', imageNum: i + 1, filename: `image_${i + 1}.jpg`, bytes, byteSize: bytes.length }
      })
      const outcomes = await stage.receiveWindow(window)
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(window.map(() => 'received'))
      expect(refused).toBe(48)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })
})
