import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { renderAlert } from '../../src/web/render-alert.js'
import type { DeliveryStatusJson } from '../../src/web/render-deliveries.js'
import { fakeView, webFixture, type WebFixture } from './web-fixture.js'

/** The text of the alert page's Delivered line, tags removed. */
function deliveredLine(page: string): string {
  const match = /<dt>Delivered<\/dt><dd data-delivered>([\s\S]*?)<\/dd>/.exec(page)
  expect(match).not.toBeNull()
  return match![1]!.replace(/<[^>]+>/g, '')
}

function row(channel: string, status: DeliveryStatusJson['status'], deliveredAt: string | null = null): DeliveryStatusJson {
  return { subscription: `${channel}-sub`, channel, status, attempts: 1, responseCode: null, deliveredAt, nextAttemptAt: null }
}

describe('the alert page’s Delivered line', () => {
  let fixture: WebFixture

  beforeEach(async () => {
    // Alert 1 was logged by the pipeline (delivery_channels 'log'); three subscriptions get it too.
    fixture = await webFixture()
    const { subscriptions } = fixture.context.catalog
    const owner = await subscriptions.addSubscriber({ name: 'ada', contact: null })
    for (const [name, channel, target] of [
      ['hook', 'webhook', 'https://example.org/hook'],
      ['mail', 'smtp', 'ops@example.org'],
      ['chat', 'slack', 'https://hooks.example.org/x'],
    ] as const) {
      await subscriptions.addSubscription({ subscriberId: owner.subscriberId, name, channel, target, secret: null, filter: {} })
    }
    await subscriptions.replay({ since: new Date(0), now: new Date(), wants: () => true })
    const due = (await subscriptions.claimDue(new Date(), 100, 60_000)).filter((receiver) => receiver.imageEventAlertId === 1)
    const [hook, , chat] = due.sort((a, b) => a.subscriptionId - b.subscriptionId)
    await subscriptions.recordAttempts([hook!.receiverId], { kind: 'delivered', responseCode: 204, at: new Date('2026-01-01T00:00:00Z') })
    await subscriptions.recordAttempts([chat!.receiverId], { kind: 'dead', error: 'IMGPIPE_DELIVERY_FAILED: 404', responseCode: 404 })
  })
  afterEach(async () => {
    await fixture.close()
  })

  it('names the channels that delivered the alert, as its Deliveries table shows them, not only the log', async () => {
    const page = await fixture.app.inject({ method: 'GET', url: '/?alert_num=1' })
    expect(page.statusCode).toBe(200)
    const line = deliveredLine(page.body)
    expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC via log, webhook · pending via smtp · failed via slack$/)
    // The table below says the same: webhook delivered, smtp pending, slack dead.
    expect(page.body).toMatch(/<tr data-status="delivered"><td>hook<\/td><td>webhook<\/td>/)
    expect(page.body).toMatch(/<tr data-status="pending"><td>mail<\/td><td>smtp<\/td>/)
    expect(page.body).toMatch(/<tr data-status="dead"><td>chat<\/td><td>slack<\/td>/)
  })
})

describe('renderAlert’s Delivered line', () => {
  it('is pending before any channel delivered', () => {
    expect(deliveredLine(String(renderAlert(fakeView(3))))).toBe('pending')
    expect(deliveredLine(String(renderAlert(fakeView(3), [row('webhook', 'failed')])))).toBe('pending via webhook')
  })

  it('shows the first delivery time and each delivering channel once', () => {
    const view = fakeView(3)
    view.alert.deliveredAt = new Date('2026-01-01T00:00:05Z')
    view.alert.deliveryChannels = 'log'
    const rows = [
      row('webhook', 'delivered', '2026-01-01T00:00:02Z'),
      row('webhook', 'delivered', '2026-01-01T00:00:09Z'),
      row('smtp', 'delivered', null),
    ]
    expect(deliveredLine(String(renderAlert(view, rows)))).toBe('2026-01-01 00:00:02 UTC via log, webhook, smtp')
  })

  it('escapes channel names', () => {
    expect(String(renderAlert(fakeView(3), [row('<b>x</b>', 'delivered', '2026-01-01T00:00:00Z')]))).toContain('via &lt;b&gt;x&lt;/b&gt;')
  })
})
