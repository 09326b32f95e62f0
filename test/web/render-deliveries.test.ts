import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DeliveryStatusJson } from '../../src/web/render-deliveries.js'
import { webFixture, type WebFixture } from './web-fixture.js'

let fixture: WebFixture

beforeEach(async () => {
  fixture = await webFixture()
  const { subscriptions } = fixture.context.catalog
  const owner = await subscriptions.addSubscriber({ name: 'ada', contact: null })
  for (const name of ['<b>hook</b>', 'mail']) {
    await subscriptions.addSubscription({
      subscriberId: owner.subscriberId,
      name,
      channel: name === 'mail' ? 'smtp' : 'webhook',
      target: name === 'mail' ? 'ops@example.org' : 'https://secret-host.example.org/hook?token=abc',
      secret: 'whsec_c2VjcmV0',
      filter: {},
    })
  }
  await subscriptions.replay({ since: new Date(0), now: new Date(), wants: () => true })
  const [first] = await subscriptions.claimDue(new Date(), 1, 60_000)
  await subscriptions.recordAttempts([first!.receiverId], { kind: 'delivered', responseCode: 204, at: new Date('2026-01-01T00:00:00Z') })
})
afterEach(async () => {
  await fixture.close()
})

describe('delivery status in the viewer', () => {
  it('GET /api/alerts/:n lists each receiver with its status, without target or secret', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/api/alerts/1' })
    const body = response.json<{ deliveries: DeliveryStatusJson[] }>()
    expect(body.deliveries).toEqual([
      {
        subscription: '<b>hook</b>',
        channel: 'webhook',
        status: 'delivered',
        attempts: 1,
        responseCode: 204,
        deliveredAt: '2026-01-01T00:00:00.000Z',
        nextAttemptAt: null,
      },
      {
        subscription: 'mail',
        channel: 'smtp',
        status: 'pending',
        attempts: 0,
        responseCode: null,
        deliveredAt: null,
        nextAttemptAt: expect.any(String),
      },
    ])
    expect(response.body).not.toContain('secret-host')
    expect(response.body).not.toContain('whsec_')
  })

  it('the alert page shows the deliveries table, escaped', async () => {
    const page = await fixture.app.inject({ method: 'GET', url: '/?alert_num=1' })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('<h2>Deliveries</h2>')
    expect(page.body).toContain(
      '<tr data-status="delivered"><td>&lt;b&gt;hook&lt;/b&gt;</td><td>webhook</td><td>delivered</td><td class="number">1</td><td class="number">204</td>',
    )
    expect(page.body).toContain('<tr data-status="pending"><td>mail</td><td>smtp</td><td>pending</td><td class="number">0</td>')
    expect(page.body).not.toContain('secret-host')
  })

  it('an alert without subscriptions shows no deliveries section', async () => {
    await fixture.context.catalog.subscriptions.removeSubscriber('ada')
    const page = await fixture.app.inject({ method: 'GET', url: '/?alert_num=1' })
    expect(page.body).not.toContain('data-deliveries')
  })
})
