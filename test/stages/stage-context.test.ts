import { describe, expect, it } from 'vitest'
import { BusUnavailableError, InvalidImageError } from '../../src/core/errors.js'
import { silentLogger } from '../../src/core/logger.js'
import { deadLetterTopic, retrying, topicsFor, type StageContext } from '../../src/stages/stage-context.js'

function context(signal = new AbortController().signal): StageContext {
  return { signal, logger: silentLogger } as unknown as StageContext
}

describe('stage context', () => {
  it("names the original's topics and groups, after the prefix", () => {
    expect(topicsFor({ topicPrefix: '' })).toEqual({
      imageAnalysis: 'image_analysis',
      imageEventAlert: 'image_event_alert',
      imageAnalysisGroup: 'image_analysis_group',
      imageEventAlertGroup: 'image_event_alert_group',
    })
    expect(topicsFor({ topicPrefix: 'lab_' }).imageEventAlertGroup).toBe('lab_image_event_alert_group')
    expect(deadLetterTopic('lab_image_analysis')).toBe('lab_image_analysis_dead_letter')
  })

  it('retries transient failures until they pass, and gives up at once on permanent ones', async () => {
    let calls = 0
    const value = await retrying(context(), 'flaky', async () => {
      calls += 1
      if (calls < 3) throw new BusUnavailableError('broker restarting')
      return 'done'
    })
    expect([value, calls]).toEqual(['done', 3])

    calls = 0
    await expect(
      retrying(context(), 'bad', async () => {
        calls += 1
        throw new InvalidImageError('garbage')
      }),
    ).rejects.toMatchObject({ code: 'IMGPIPE_IMAGE_INVALID' })
    expect(calls).toBe(1)
  })

  it('stops retrying when the stage shuts down', async () => {
    const stop = new AbortController()
    let calls = 0
    const running = retrying(context(stop.signal), 'down', async () => {
      calls += 1
      if (calls === 2) stop.abort()
      throw new BusUnavailableError('still down')
    })
    await expect(running).rejects.toMatchObject({ code: 'IMGPIPE_BUS_UNAVAILABLE' })
    expect(calls).toBe(2)
  })
})
