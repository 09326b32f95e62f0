import type { AlertRecord } from '../core/types.js'
import { timeElement } from './format.js'
import { html, type SafeHtml } from './html.js'
import type { DeliveryStatusJson } from './render-deliveries.js'

/** Each name once, in first-seen order. */
function distinct(names: readonly string[]): string[] {
  return [...new Set(names)]
}

/**
 * Which channels delivered the alert, and when it was first delivered: the channels of the process that recorded it
 * (`delivery_channels`, the log) and the channel of each receiver the Deliveries table shows as delivered; then the
 * channels still trying (pending, failed) and those that gave up (dead), so the line agrees with the table below.
 */
export function renderDelivered(alert: AlertRecord, deliveries: readonly DeliveryStatusJson[]): SafeHtml {
  const own =
    alert.deliveredAt === null || alert.deliveryChannels === null ? [] : alert.deliveryChannels.split(',').filter((name) => name !== '')
  const sent = deliveries.filter((row) => row.status === 'delivered')
  const delivered = distinct([...own, ...sent.map((row) => row.channel)])
  const trying = distinct(deliveries.filter((row) => row.status === 'pending' || row.status === 'failed').map((row) => row.channel))
  const dead = distinct(deliveries.filter((row) => row.status === 'dead').map((row) => row.channel))
  const times = [
    ...(alert.deliveredAt === null ? [] : [alert.deliveredAt]),
    ...sent.flatMap((row) => (row.deliveredAt === null ? [] : [new Date(row.deliveredAt)])),
  ]
  const first = times.length === 0 ? null : new Date(Math.min(...times.map((time) => time.getTime())))
  const parts: SafeHtml[] = []
  if (delivered.length > 0) parts.push(html`${first === null ? '' : html`${timeElement(first)} `}via ${delivered.join(', ')}`)
  if (trying.length > 0) parts.push(html`pending via ${trying.join(', ')}`)
  if (dead.length > 0) parts.push(html`failed via ${dead.join(', ')}`)
  if (parts.length === 0) return alert.deliveredAt === null ? html`pending` : timeElement(alert.deliveredAt)
  return html`${parts.map((part, index) => (index === 0 ? part : html` · ${part}`))}`
}
