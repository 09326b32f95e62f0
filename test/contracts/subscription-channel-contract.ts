import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DeliveryFailedError } from '../../src/core/errors.js'
import type { AlertImage, AlertPayload, Delivery, DeliveryChannel } from '../../src/core/ports/delivery-channel.js'

/** A channel under test, a target on a real local server, and how to read back what that server got. */
export interface OpenedChannel {
  channel: DeliveryChannel
  target: string
  /** A target the channel must refuse for good (wrong scheme, bad address...). */
  invalidTarget: string
  /** Alert numbers the target has received so far, in order. */
  received(): Promise<number[]>
  cleanup(): Promise<void>
}

export function samplePayload(deliveryId: string, alertNums: number[], stream = 'cam-a'): AlertPayload {
  return {
    schema: 'imgpipe.alert/1',
    deliveryId,
    subscription: 'contract',
    alerts: alertNums.map((alertNum) => ({
      alertNum,
      imageEventId: alertNum,
      eventType: 'changed',
      stream,
      imageNum: alertNum + 1,
      imageId: alertNum + 1,
      imageFilename: `image_${alertNum + 1}.png`,
      previousImageId: alertNum,
      changedFraction: 0.42,
      l2Norm: 1234.5,
      maxAbsDifference: 201,
      detectedAt: '2026-01-01T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:01.000Z',
      links: {
        alertPage: `https://viewer.example.org/?alert_num=${alertNum}`,
        image: `https://viewer.example.org/images/${alertNum + 1}`,
        previousImage: `https://viewer.example.org/images/${alertNum}`,
        difference: `https://viewer.example.org/difference/${alertNum}`,
      },
    })),
  }
}

export function sampleDelivery(target: string, deliveryId: string, alertNums: number[], images: AlertImage[] = []): Delivery {
  return {
    deliveryId,
    subscription: { subscriptionId: 1, name: 'contract', target, secret: 'whsec_c2VjcmV0LWtleS1mb3ItdGVzdHM=' },
    payload: samplePayload(deliveryId, alertNums),
    attempt: 1,
    signal: AbortSignal.timeout(15_000),
    images: async () => images,
  }
}

/** What every subscription channel does alike: deliver to its target, refuse a bad target for good. */
export function subscriptionChannelContract(name: string, open: () => Promise<OpenedChannel | null>): void {
  describe(`DeliveryChannel contract: ${name}`, () => {
    let opened: OpenedChannel | null
    beforeEach(async () => {
      opened = await open()
    })
    afterEach(async () => {
      await opened?.cleanup()
    })

    it('delivers an alert and a digest to its target', async ({ skip }) => {
      if (opened === null) return skip('service not configured')
      const one = await opened.channel.send(sampleDelivery(opened.target, 'contract-1', [1]))
      expect(typeof one.detail).toBe('string')
      await opened.channel.send(sampleDelivery(opened.target, 'contract-2', [2, 3]))
      expect(await opened.received()).toEqual([1, 2, 3])
    })

    it('refuses an invalid target without retrying', async ({ skip }) => {
      if (opened === null) return skip('service not configured')
      const attempt = opened.channel.send(sampleDelivery(opened.invalidTarget, 'contract-3', [4]))
      await expect(attempt).rejects.toBeInstanceOf(DeliveryFailedError)
      await expect(attempt).rejects.toMatchObject({ canRetry: false })
    })
  })
}
