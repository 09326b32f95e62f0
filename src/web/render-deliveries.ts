import type { ReceiverStatus, Subscriptions } from '../core/ports/subscriptions.js'
import { timeElement } from './format.js'
import { html, type SafeHtml } from './html.js'

/**
 * Each receiver's delivery status for the alert page and `GET /api/alerts/:n`. Only the subscription's
 * name and channel, never its target, secret or the target's last answer: the viewer may be public.
 */
export interface DeliveryStatusJson {
  subscription: string
  channel: string
  status: ReceiverStatus
  attempts: number
  responseCode: number | null
  deliveredAt: string | null
  nextAttemptAt: string | null
}

/** Where the viewer reads an alert's receivers: the subscriptions kept on the catalog's database. */
export interface DeliveryStatusSource {
  readonly subscriptions: Pick<Subscriptions, 'receiversOfAlert' | 'listSubscriptions'>
}

/** The alert's receivers, or [] when it has none. */
export async function deliveryStatuses(catalog: DeliveryStatusSource, imageEventAlertId: number): Promise<DeliveryStatusJson[]> {
  const { subscriptions } = catalog
  const receivers = await subscriptions.receiversOfAlert(imageEventAlertId)
  if (receivers.length === 0) return []
  const names = new Map((await subscriptions.listSubscriptions()).map((row) => [row.subscriptionId, row]))
  return receivers.map((receiver) => {
    const subscription = names.get(receiver.subscriptionId)
    return {
      subscription: subscription?.name ?? String(receiver.subscriptionId),
      channel: subscription?.channel ?? 'unknown',
      status: receiver.status,
      attempts: receiver.attempts,
      responseCode: receiver.responseCode,
      deliveredAt: receiver.deliveredAt?.toISOString() ?? null,
      nextAttemptAt: receiver.status === 'pending' || receiver.status === 'failed' ? receiver.nextAttemptAt.toISOString() : null,
    }
  })
}

export function renderDeliveries(deliveries: readonly DeliveryStatusJson[] | undefined): SafeHtml {
  if (deliveries === undefined || deliveries.length === 0) return html``
  const rows = deliveries.map(
    (row) =>
      html`<tr data-status="${row.status}"><td>${row.subscription}</td><td>${row.channel}</td><td>${row.status}</td><td class="number">${String(row.attempts)}</td><td class="number">${
        row.responseCode === null ? '' : String(row.responseCode)
      }</td><td>${row.deliveredAt === null ? (row.nextAttemptAt === null ? '' : html`next ${timeElement(new Date(row.nextAttemptAt))}`) : timeElement(new Date(row.deliveredAt))}</td></tr>`,
  )
  return html`<section class="panel deliveries" data-deliveries>
<h2>Deliveries</h2>
<div class="table-scroll"><table class="data"><thead><tr><th>Subscription</th><th>Channel</th><th>Status</th><th class="number">Attempts</th><th class="number">Answer</th><th>When</th></tr></thead>
<tbody>${rows}</tbody></table></div>
</section>`
}
