import { describe, expect, it } from 'vitest'
import { SlackChannel, slackMessage } from '../../../src/adapters/slack/slack-channel.js'
import { sampleDelivery, subscriptionChannelContract } from '../../contracts/subscription-channel-contract.js'
import { WebhookReceiver } from '../../support/webhook-receiver.js'

subscriptionChannelContract('slack', async () => {
  const receiver = await WebhookReceiver.start(null)
  return {
    channel: new SlackChannel({ allowPrivate: true }),
    target: receiver.url('/services/T0/B0/token'),
    invalidTarget: 'smtp://hooks.example.org/x',
    async received() {
      return receiver
        .delivered()
        .flatMap((hook) => [...(hook.json as { text: string }).text.matchAll(/\*Alert (\d+):/g)].map((match) => Number(match[1])))
    },
    cleanup: () => receiver.close(),
  }
})

describe('SlackChannel', () => {
  it('sends the headline every channel uses, and blocks with the three image links and the alert page', () => {
    const message = slackMessage(sampleDelivery('https://hooks.example.org/x', 'd', [5]))
    expect(message.text).toBe('*Alert 5: changed on stream cam-a, image 6* (42.0% of pixels changed)')
    expect(message.blocks[1]).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text:
            '<https://viewer.example.org/images/5|previous image> · <https://viewer.example.org/images/6|image> · ' +
            '<https://viewer.example.org/difference/5|difference image> · <https://viewer.example.org/?alert_num=5|alert 5>',
        },
      ],
    })
  })

  it('writes percentages as the viewer does (formatPercent)', () => {
    const delivery = sampleDelivery('https://hooks.example.org/x', 'd', [1])
    delivery.payload.alerts[0]!.changedFraction = 0.12345
    expect(slackMessage(delivery).text).toContain('(12.3% of pixels changed)')
    delivery.payload.alerts[0]!.changedFraction = null
    expect(slackMessage(delivery).text).toContain('(— of pixels changed)')
  })

  it('marks a test message as a test on its first line, and a real alert not at all', () => {
    const delivery = sampleDelivery('https://hooks.example.org/x', 'd', [5])
    expect(slackMessage(delivery).text).not.toMatch(/TEST/)
    delivery.payload.test = true
    const message = slackMessage(delivery)
    expect(message.text).toBe(
      '*TEST MESSAGE* from `imgpipe subscription test`: a sample alert, nothing new was detected.\n' +
        '*Alert 5: changed on stream cam-a, image 6* (42.0% of pixels changed)',
    )
    expect(message.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: message.text } })
  })

  it('escapes Slack control characters in stream names and event types', () => {
    const delivery = sampleDelivery('https://hooks.example.org/x', 'd', [1])
    delivery.payload.alerts[0]!.stream = '<!channel>&'
    delivery.payload.alerts[0]!.eventType = '<@U123>'
    const { text } = slackMessage(delivery)
    expect(text).toContain('on stream &lt;!channel&gt;&amp;, image 2')
    expect(text).toContain('&lt;@U123&gt; on stream')
    expect(text).not.toMatch(/<!channel>|<@U123>/)
  })

  it('is refused for good by Slack answering 404 no_service, retried on 429', async () => {
    const receiver = await WebhookReceiver.start(null)
    receiver.behaviour = ({ count }) => (count === 1 ? { status: 404 } : { status: 429, headers: { 'retry-after': '30' } })
    const channel = new SlackChannel({ allowPrivate: true })
    await expect(channel.send(sampleDelivery(receiver.url(), 'd', [1]))).rejects.toMatchObject({ canRetry: false, responseCode: 404 })
    await expect(channel.send(sampleDelivery(receiver.url(), 'd', [1]))).rejects.toMatchObject({ canRetry: true, retryAfterMs: 30_000 })
    await receiver.close()
  })
})
