import type { ChannelKind, DeliveryLedger, ReceiverTally } from '../core/ports/subscriptions.js'
import type { PipelineReport } from '../stages/run-pipeline.js'
import { safeText } from './terminal-text.js'

/**
 * What `run`, `receive`, `ingest` and `reanalyze` say at the end: what was received and analysed, how many alerts
 * were recorded, and what became of their deliveries to subscriptions, per channel. A delivery that went `dead`
 * is a subscriber who got nothing: the summary says so and the exit code tells scripts.
 */

/** Exit code when an alert delivery failed for good (`dead`); it wins over the partial-failure code 3. */
export const DELIVERY_FAILED_EXIT_CODE = 4

/** Deliveries by state: `retrying` failed and waits for its next attempt; `pending` was not attempted yet. */
export interface DeliveryCounts {
  delivered: number
  retrying: number
  pending: number
  dead: number
}

export interface SubscriptionDeliveries extends DeliveryCounts {
  subscription: string
  subscriber: string
  channel: ChannelKind
}

/** The deliveries recorded while a command ran (receiver rows created by it), once its worker finished. */
export interface DeliverySummary {
  channels: Partial<Record<ChannelKind, DeliveryCounts>>
  subscriptions: SubscriptionDeliveries[]
  /** The last error of the first dead delivery, when one is dead. */
  firstDeadError?: string
}

export interface RunReport extends PipelineReport {
  /** Null when this process does not alert (nothing of its own to count). */
  deliveries: DeliverySummary | null
}

/** A mock stream that had all its images before the command ran. */
export interface CompleteStreams {
  streams: string[]
  count: number
  /** The command that adds images, as typed: `imgpipe run --count N` and its stream flags. */
  more: string
}

const EMPTY: DeliveryCounts = { delivered: 0, retrying: 0, pending: 0, dead: 0 }

function add(counts: DeliveryCounts, status: ReceiverTally['status'], count: number): DeliveryCounts {
  const key = status === 'failed' ? 'retrying' : status
  return { ...counts, [key]: counts[key] + count }
}

export function summarizeDeliveries(tally: readonly ReceiverTally[], firstDeadError?: string): DeliverySummary {
  const channels: Partial<Record<ChannelKind, DeliveryCounts>> = {}
  const bySubscription = new Map<number, SubscriptionDeliveries>()
  for (const row of tally) {
    channels[row.channel] = add(channels[row.channel] ?? EMPTY, row.status, row.count)
    const known = bySubscription.get(row.subscriptionId) ?? {
      subscription: row.subscription,
      subscriber: row.subscriber,
      channel: row.channel,
      ...EMPTY,
    }
    bySubscription.set(row.subscriptionId, { ...known, ...add(known, row.status, row.count) })
  }
  return { channels, subscriptions: [...bySubscription.values()], ...(firstDeadError === undefined ? {} : { firstDeadError }) }
}

/** The deliveries recorded after receiver `mark` (see DeliveryLedger.lastReceiverId), with the first dead one's error. */
export async function deliveriesSince(subscriptions: DeliveryLedger, mark: number): Promise<DeliverySummary> {
  const tally = await subscriptions.tallyReceivers({ afterReceiverId: mark })
  const dead = tally.some((row) => row.status === 'dead')
    ? await subscriptions.listReceivers({ status: 'dead', afterId: mark, limit: 1 })
    : []
  return summarizeDeliveries(tally, dead[0]?.lastError ?? undefined)
}

export function totalDeliveries(summary: DeliverySummary | null): DeliveryCounts {
  let total = EMPTY
  for (const counts of Object.values(summary?.channels ?? {})) {
    total = {
      delivered: total.delivered + counts.delivered,
      retrying: total.retrying + counts.retrying,
      pending: total.pending + counts.pending,
      dead: total.dead + counts.dead,
    }
  }
  return total
}

/** `webhook 1 delivered, 0 retrying, 1 dead; smtp …`, or why there are none. */
export function describeDeliveries(summary: DeliverySummary): string {
  const channels = Object.entries(summary.channels)
  if (channels.length === 0) return 'none (no subscription wanted these alerts: imgpipe subscription add …)'
  return channels
    .map(([channel, counts]) => {
      const pending = counts.pending > 0 ? `, ${counts.pending} not attempted yet` : ''
      return `${channel} ${counts.delivered} delivered, ${counts.retrying} retrying${pending}, ${counts.dead} dead`
    })
    .join('; ')
}

/** The summary's lines for stdout, between what was received and where the data is. */
export function summaryLines(report: RunReport, complete?: CompleteStreams): string[] {
  const { outcomes, processed } = report
  const received = outcomes.received + outcomes.duplicate + outcomes.failed
  const lines: string[] = []
  if (report.stopped) lines.push('stopped by signal')
  if (received > 0 || (processed.analyzed === 0 && processed.alerts === 0)) {
    lines.push(`received: ${outcomes.received} new, ${outcomes.duplicate} already recorded, ${outcomes.failed} failed`)
  }
  if (complete !== undefined && received === 0 && !report.stopped) lines.push(...completeLines(complete))
  if (processed.analyzed + processed.failed + processed.alerts > 0) {
    lines.push(
      `processed: ${processed.analyzed} analysed, ${processed.failed} failed, ${processed.events} events, ${processed.alerts} alerts recorded`,
    )
  }
  if (report.deliveries !== null && (processed.alerts > 0 || report.deliveries.subscriptions.length > 0)) {
    lines.push(`deliveries: ${safeText(describeDeliveries(report.deliveries))}`)
  }
  return lines
}

function completeLines(complete: CompleteStreams): string[] {
  const which =
    complete.streams.length === 1
      ? `stream ${complete.streams[0]} already has its ${complete.count} images`
      : `streams ${complete.streams.join(', ')} already have their ${complete.count} images each`
  return [
    `complete: ${safeText(which)}; nothing new to receive`,
    `          more images: ${safeText(complete.more)}`,
    '          start over:  imgpipe db empty --yes  (deletes images, events and alerts; keeps subscriptions)',
  ]
}

/** Lines for stderr: deliveries that failed for good, and deliveries still open when the command ended. */
export function summaryWarnings(report: RunReport): string[] {
  const summary = report.deliveries
  if (summary === null) return []
  const lines: string[] = []
  for (const entry of summary.subscriptions.filter((subscription) => subscription.dead > 0)) {
    lines.push(
      `imgpipe: ${entry.dead} ${entry.dead === 1 ? 'delivery' : 'deliveries'} to ${entry.channel} subscription ${safeText(entry.subscription)} (subscriber ${safeText(entry.subscriber)}) failed for good`,
    )
  }
  if (summary.firstDeadError !== undefined) lines.push(`imgpipe: last error: ${safeText(summary.firstDeadError)}`)
  const total = totalDeliveries(summary)
  if (total.dead > 0) {
    lines.push(
      'imgpipe: list them with `imgpipe deliveries list --status dead`; once the cause is fixed, send them again with ' +
        '`imgpipe deliveries retry --status dead` and then `imgpipe deliver --once`',
    )
  }
  const open = total.retrying + total.pending
  if (open > 0) {
    lines.push(
      `imgpipe: ${open} ${open === 1 ? 'delivery is' : 'deliveries are'} not delivered yet (retrying): ` +
        '`imgpipe deliver --once` or a running `imgpipe alert` sends them',
    )
  }
  return lines
}

/** DELIVERY_FAILED_EXIT_CODE when a delivery of this run is dead; otherwise the code the command had. */
export function setDeliveryExitCode(report: RunReport): void {
  if (totalDeliveries(report.deliveries).dead > 0) process.exitCode = DELIVERY_FAILED_EXIT_CODE
}
