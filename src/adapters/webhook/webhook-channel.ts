import { createHmac, randomBytes } from 'node:crypto'
import { DeliveryFailedError } from '../../core/errors.js'
import type { Delivery, DeliveryReceipt, DeliveryChannel } from '../../core/ports/delivery-channel.js'
import { assertAccepted, assertHttpTarget, httpPost } from '../http/http-post.js'

export interface WebhookChannelOptions {
  allowPrivate: boolean
  /** Turns a subscription's stored secret (`whsec_…`, or a reference such as `env:VAR`) into the secret. */
  resolveSecret: (reference: string) => string
  maxResponseBytes?: number
  /** `source` of the CloudEvents. */
  source?: string
}

/** A new Standard Webhooks secret: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`
}

/**
 * Standard Webhooks signature: base64 HMAC-SHA256 over `id.timestamp.body`, keyed with the base64 part of
 * the `whsec_` secret (a secret without the prefix is used as raw UTF-8 bytes), as `v1,<signature>`.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8')
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`
}

/**
 * The webhook channel: a CloudEvents 1.0 structured-mode JSON POST (`application/cloudevents+json`), id =
 * the delivery id, signed with the subscription's secret the Standard Webhooks way (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature`). Redirects are not followed; the answer's body is read up to a
 * small limit.
 */
export class WebhookChannel implements DeliveryChannel {
  readonly kind = 'webhook'

  constructor(private readonly options: WebhookChannelOptions) {}

  async send(delivery: Delivery): Promise<DeliveryReceipt> {
    const url = assertHttpTarget(delivery.subscription.target)
    const { payload } = delivery
    const digest = payload.alerts.length > 1
    const first = payload.alerts[0]
    const event = {
      specversion: '1.0',
      id: delivery.deliveryId,
      source: this.options.source ?? 'imgpipe',
      type: digest ? 'org.imgpipe.alert.digest' : 'org.imgpipe.alert',
      subject: first === undefined ? undefined : `alert/${first.alertNum}`,
      time: first?.createdAt,
      datacontenttype: 'application/json',
      dataschema: 'https://imgpipe.invalid/schemas/alert-v1.json',
      data: payload,
    }
    const body = JSON.stringify(event)
    const headers: Record<string, string> = {
      'content-type': 'application/cloudevents+json; charset=utf-8',
      'user-agent': 'imgpipe-webhook/1',
      'webhook-id': delivery.deliveryId,
    }
    const reference = delivery.subscription.secret
    if (reference !== null) {
      const secret = this.options.resolveSecret(reference)
      if (secret === '')
        throw new DeliveryFailedError(`secret of subscription ${delivery.subscription.name} is empty or unset`, { canRetry: false })
      const timestamp = Math.floor(Date.now() / 1000)
      headers['webhook-timestamp'] = String(timestamp)
      headers['webhook-signature'] = signWebhook(secret, delivery.deliveryId, timestamp, body)
    }
    const answer = await httpPost(url, body, headers, {
      allowPrivate: this.options.allowPrivate,
      maxResponseBytes: this.options.maxResponseBytes ?? 4096,
      signal: delivery.signal,
    })
    assertAccepted(answer, `webhook ${url.host}`)
    return { responseCode: answer.status, detail: answer.body.slice(0, 200) }
  }

  async close(): Promise<void> {}
}
