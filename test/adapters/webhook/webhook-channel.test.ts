import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isPrivateAddress, parseRetryAfter } from '../../../src/adapters/http/http-post.js'
import { WebhookChannel, newWebhookSecret, signWebhook } from '../../../src/adapters/webhook/webhook-channel.js'
import { DeliveryFailedError } from '../../../src/core/errors.js'
import type { AlertPayload, Delivery } from '../../../src/core/ports/delivery-channel.js'
import { subscriptionChannelContract } from '../../contracts/subscription-channel-contract.js'
import { WebhookReceiver, verifySignature } from '../../support/webhook-receiver.js'

const payload: AlertPayload = {
  schema: 'imgpipe.alert/1',
  deliveryId: 'd-1',
  subscription: 'hook',
  alerts: [
    {
      alertNum: 7,
      imageEventId: 3,
      eventType: 'changed',
      stream: 'cam-a',
      imageNum: 4,
      imageId: 4,
      imageFilename: 'image_4.png',
      previousImageId: 3,
      changedFraction: 0.4,
      l2Norm: 12,
      maxAbsDifference: 200,
      detectedAt: '2026-01-01T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:01.000Z',
      links: {},
    },
  ],
}

function delivery(target: string, secret: string | null, overrides: Partial<Delivery> = {}): Delivery {
  return {
    deliveryId: 'd-1',
    subscription: { subscriptionId: 1, name: 'hook', target, secret },
    payload,
    attempt: 1,
    signal: AbortSignal.timeout(5_000),
    images: async () => [],
    ...overrides,
  }
}

async function failure(promise: Promise<unknown>): Promise<DeliveryFailedError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DeliveryFailedError) return error
    throw error
  }
  throw new Error('expected a DeliveryFailedError')
}

describe('WebhookChannel against a real HTTP receiver', () => {
  const secret = newWebhookSecret()
  let receiver: WebhookReceiver
  const channel = new WebhookChannel({ allowPrivate: true, resolveSecret: (reference) => reference })

  beforeEach(async () => {
    receiver = await WebhookReceiver.start(secret)
  })
  afterEach(async () => {
    await receiver.close()
  })

  it('POSTs a CloudEvents 1.0 structured event whose id is the delivery id, signed the Standard Webhooks way', async () => {
    const receipt = await channel.send(delivery(receiver.url(), secret))
    expect(receipt.responseCode).toBe(204)
    const [hook] = receiver.hooks
    expect(hook!.signatureValid).toBe(true)
    expect(hook!.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8')
    expect(hook!.headers['webhook-id']).toBe('d-1')
    expect(hook!.json).toMatchObject({
      specversion: '1.0',
      id: 'd-1',
      type: 'org.imgpipe.alert',
      source: 'imgpipe',
      subject: 'alert/7',
      datacontenttype: 'application/json',
      data: payload,
    })
    // A receiver with another secret rejects it.
    expect(verifySignature(newWebhookSecret(), hook!.headers, hook!.body)).toBe(false)
    expect(verifySignature(secret, hook!.headers, hook!.body.replace('cam-a', 'cam-b'))).toBe(false)
  })

  it('carries test: true in the data of a subscription-test message, and no test field otherwise', async () => {
    await channel.send(delivery(receiver.url(), secret))
    await channel.send(delivery(receiver.url(), secret, { payload: { ...payload, test: true } }))
    const [real, test] = receiver.hooks.map((hook) => hook.json as { data: Record<string, unknown> })
    expect('test' in real!.data).toBe(false)
    expect(test!.data).toMatchObject({ test: true, alerts: payload.alerts })
    expect(receiver.hooks[1]!.signatureValid).toBe(true)
  })

  it('signs with the Standard Webhooks test vector', () => {
    // From the Standard Webhooks reference implementations' tests.
    const signature = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    )
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })

  it('treats 4xx as permanent, 408/429/5xx as retryable, and reads Retry-After', async () => {
    receiver.behaviour = ({ count }) =>
      count === 1 ? { status: 404 } : count === 2 ? { status: 429, headers: { 'retry-after': '7' } } : { status: 503 }
    const notFound = await failure(channel.send(delivery(receiver.url(), secret)))
    expect([notFound.canRetry, notFound.responseCode]).toEqual([false, 404])
    const limited = await failure(channel.send(delivery(receiver.url(), secret)))
    expect([limited.canRetry, limited.responseCode, limited.retryAfterMs]).toEqual([true, 429, 7_000])
    const down = await failure(channel.send(delivery(receiver.url(), secret)))
    expect([down.canRetry, down.responseCode]).toEqual([true, 503])
  })

  it('does not follow redirects', async () => {
    receiver.behaviour = ({ path }) =>
      path === '/hook' ? { status: 302, headers: { location: receiver.url('/elsewhere') } } : { status: 204 }
    const redirected = await failure(channel.send(delivery(receiver.url(), secret)))
    expect([redirected.canRetry, redirected.responseCode]).toEqual([false, 302])
    expect(receiver.hooks.map((hook) => hook.path)).toEqual(['/hook'])
  })

  it('gives up on a target that does not answer when the attempt is aborted', async () => {
    receiver.behaviour = () => 'hang'
    const hung = await failure(channel.send(delivery(receiver.url(), secret, { signal: AbortSignal.timeout(300) })))
    expect(hung.canRetry).toBe(true)
  })

  it('refuses loopback and private targets unless allowed, by literal address and by name', async () => {
    const strict = new WebhookChannel({ allowPrivate: false, resolveSecret: (reference) => reference })
    const literal = await failure(strict.send(delivery(receiver.url(), secret)))
    expect(literal.canRetry).toBe(false)
    const byName = await failure(strict.send(delivery(receiver.url().replace('127.0.0.1', 'localhost'), secret)))
    expect([byName.canRetry, byName.message]).toEqual([false, expect.stringContaining('private address')])
    const scheme = await failure(strict.send(delivery('ftp://example.org/x', secret)))
    expect(scheme.canRetry).toBe(false)
    expect(receiver.hooks).toEqual([])
    expect(
      ['10.1.2.3', '192.168.0.1', '172.20.0.1', '169.254.169.254', '::1', 'fd00::1', '::ffff:127.0.0.1'].map(isPrivateAddress),
    ).toEqual(Array(7).fill(true))
    expect(['93.184.216.34', '2606:4700::1111'].map(isPrivateAddress)).toEqual([false, false])
  })

  it('sends no signature headers without a secret, and fails for good when a referenced secret is unset', async () => {
    await channel.send(delivery(receiver.url(), null))
    expect(receiver.hooks[0]!.headers['webhook-signature']).toBeUndefined()
    const unset = new WebhookChannel({ allowPrivate: true, resolveSecret: () => '' })
    expect((await failure(unset.send(delivery(receiver.url(), 'env:NOPE')))).canRetry).toBe(false)
  })

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120_000)
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8_000)
    expect(parseRetryAfter('soon')).toBeNull()
  })
})

subscriptionChannelContract('webhook', async () => {
  const secret = newWebhookSecret()
  const receiver = await WebhookReceiver.start(secret)
  return {
    channel: new WebhookChannel({ allowPrivate: true, resolveSecret: () => secret }),
    target: receiver.url(),
    invalidTarget: 'ftp://127.0.0.1/hook',
    async received() {
      expect(receiver.hooks.every((hook) => hook.signatureValid)).toBe(true)
      return receiver.delivered().flatMap((hook) => (hook.json as { data: AlertPayload }).data.alerts.map((item) => item.alertNum))
    },
    cleanup: () => receiver.close(),
  }
})
