import { describe, expect, it } from 'vitest'
import type { ReceiverTally } from '../../src/core/ports/subscriptions.js'
import { describeDeliveries, summarizeDeliveries, summaryLines, summaryWarnings, type RunReport } from '../../src/cli/run-summary.js'

const tally = (row: Partial<ReceiverTally>): ReceiverTally => ({
  subscriptionId: 1,
  subscription: 'hook',
  subscriber: 'ada',
  channel: 'webhook',
  status: 'delivered',
  count: 1,
  ...row,
})

function report(deliveries: RunReport['deliveries']): RunReport {
  return {
    outcomes: { received: 3, failed: 0, duplicate: 0 },
    processed: { analyzed: 3, failed: 0, events: 3, alerts: 3 },
    counts: { images: 3, imagesReceived: 0, imagesAnalyzed: 3, imagesFailed: 0, events: 3, alerts: 3, alertsUndelivered: 0 },
    stopped: false,
    deliveries,
  }
}

describe('run summaries', () => {
  it('adds up deliveries per channel and per subscription, failed ones as retrying', () => {
    const summary = summarizeDeliveries([
      tally({ status: 'delivered', count: 2 }),
      tally({ status: 'failed', count: 1 }),
      tally({ subscriptionId: 2, subscription: 'mail', channel: 'smtp', status: 'pending', count: 3 }),
      tally({ subscriptionId: 3, subscription: 'other-hook', status: 'dead', count: 1 }),
    ])
    expect(summary.channels).toEqual({
      webhook: { delivered: 2, retrying: 1, pending: 0, dead: 1 },
      smtp: { delivered: 0, retrying: 0, pending: 3, dead: 0 },
    })
    expect(summary.subscriptions.map((entry) => [entry.subscription, entry.delivered, entry.retrying, entry.pending, entry.dead])).toEqual([
      ['hook', 2, 1, 0, 0],
      ['mail', 0, 0, 3, 0],
      ['other-hook', 0, 0, 0, 1],
    ])
    expect(describeDeliveries(summary)).toBe(
      'webhook 2 delivered, 1 retrying, 1 dead; smtp 0 delivered, 0 retrying, 3 not attempted yet, 0 dead',
    )
  })

  it('warns of deliveries still open without calling them failed for good', () => {
    const open = report(summarizeDeliveries([tally({ status: 'failed', count: 2 })]))
    expect(summaryLines(open)).toContain('deliveries: webhook 0 delivered, 2 retrying, 0 dead')
    expect(summaryWarnings(open)).toEqual([
      'imgpipe: 2 deliveries are not delivered yet (retrying): `imgpipe deliver --once` or a running `imgpipe alert` sends them',
    ])
  })

  it('prints no deliveries line for a process that does not alert', () => {
    expect(summaryLines(report(null)).join('\n')).not.toContain('deliveries')
    expect(summaryWarnings(report(null))).toEqual([])
  })
})
