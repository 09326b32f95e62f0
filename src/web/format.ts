import { html, type SafeHtml } from './html.js'

/**
 * How the viewer writes numbers and times. Times are UTC with the zone spelled out: the pipeline's stages
 * may run on machines in other zones than the person reading the page.
 */

/** `2025-06-01 12:34:56 UTC` */
export function formatTime(date: Date): string {
  return `${date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$|Z$/, '')} UTC`
}

/** A `<time>` element with the machine-readable instant and the UTC text. */
export function timeElement(date: Date | null, className?: string): SafeHtml {
  if (date === null) return html`<span class="none">—</span>`
  return html`<time${className === undefined ? '' : html` class="${className}"`} datetime="${date.toISOString()}">${formatTime(date)}</time>`
}

const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })
const percent = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 2 })

/** 12,345.7 — or a dash for a missing metric. */
export function formatDecimal(value: number | null): string {
  return value === null ? '—' : decimal.format(value)
}

/** 0.1234 → 12.34% — or a dash. */
export function formatPercent(fraction: number | null): string {
  return fraction === null ? '—' : percent.format(fraction)
}

/** 183 → "183 / 255" — or a dash. */
export function formatChannelDifference(value: number | null): string {
  return value === null ? '—' : `${value} / 255`
}

/** 34567 → "33.8 KiB" (with a no-break space, so the unit never wraps away from its number). */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—'
  if (bytes < 1024) return `${bytes}\u00a0B`
  const units = ['KiB', 'MiB', 'GiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${decimal.format(value)}\u00a0${units[unit]}`
}

/** `changed` → `changed`, `size_changed` → `size changed`. */
export function formatEventType(eventType: string): string {
  return eventType.replace(/_/g, ' ')
}
