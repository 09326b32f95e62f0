import { alertHeadline, changedText, escapeMrkdwn } from '../../core/alert-text.js'
import type { AlertItem, Delivery, DeliveryReceipt, DeliveryChannel } from '../../core/ports/delivery-channel.js'
import { assertAccepted, assertHttpTarget, httpPost } from '../http/http-post.js'

export interface SlackChannelOptions {
  allowPrivate: boolean
}

/** First line of a message of `imgpipe subscription test`. */
export const SLACK_TEST_NOTICE = '*TEST MESSAGE* from `imgpipe subscription test`: a sample alert, nothing new was detected.'

/** One line per alert: the headline in bold, then how much changed; escaped for mrkdwn. */
function line(item: AlertItem): string {
  return `*${escapeMrkdwn(alertHeadline(item))}* (${changedText(item.changedFraction)})`
}

/** The incoming-webhook payload: a fallback `text` and blocks with the three image links when known. */
export function slackMessage(delivery: Pick<Delivery, 'payload'>): { text: string; blocks: unknown[] } {
  const { alerts } = delivery.payload
  const alertText = alerts.length === 1 ? line(alerts[0]!) : `${alerts.length} alerts (digest):\n${alerts.map(line).join('\n')}`
  const text = delivery.payload.test === true ? `${SLACK_TEST_NOTICE}\n${alertText}` : alertText
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text } }]
  for (const item of alerts) {
    const links = [
      item.links.previousImage === undefined ? null : `<${item.links.previousImage}|previous image>`,
      item.links.image === undefined ? null : `<${item.links.image}|image>`,
      item.links.difference === undefined ? null : `<${item.links.difference}|difference image>`,
      item.links.alertPage === undefined ? null : `<${item.links.alertPage}|alert ${item.alertNum}>`,
    ].filter((link) => link !== null)
    if (links.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links.join(' · ') }] })
  }
  return { text, blocks }
}

/** Slack incoming webhook (`https://hooks.slack.com/services/…`): Slack answers `ok`, or 4xx with a reason. */
export class SlackChannel implements DeliveryChannel {
  readonly kind = 'slack'

  constructor(private readonly options: SlackChannelOptions) {}

  async send(delivery: Delivery): Promise<DeliveryReceipt> {
    const url = assertHttpTarget(delivery.subscription.target)
    const body = JSON.stringify(slackMessage(delivery))
    const answer = await httpPost(
      url,
      body,
      { 'content-type': 'application/json; charset=utf-8' },
      {
        allowPrivate: this.options.allowPrivate,
        maxResponseBytes: 1024,
        signal: delivery.signal,
      },
    )
    assertAccepted(answer, `slack ${url.host}`)
    return { responseCode: answer.status, detail: answer.body.slice(0, 200) }
  }

  async close(): Promise<void> {}
}
