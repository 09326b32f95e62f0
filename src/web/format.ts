import { formatTime, MISSING } from '../core/alert-text.js'
import { html, type SafeHtml } from './html.js'

/**
 * The web page's own formatting: the text of numbers, times and labels comes from `core/alert-text.ts`,
 * shared with the terminal viewer and the log channel; this adds only what needs markup, and the one
 * percent format of every page (and of the e-mail and Slack messages, which may import it).
 */
export { formatChannelDifference, formatDecimal, formatEventType, formatTime } from '../core/alert-text.js'

/**
 * A fraction as a percentage with one decimal, the same on every page, chart and tooltip: 0.1234 → `12.3%`,
 * 0.5 → `50.0%`, 0 → `0.0%`. A fraction that is not zero never reads as 0.0% (nor one short of 1 as
 * 100.0%): tiny changes are what an alert threshold is about, so they show as `<0.1%` (and `>99.9%`).
 */
export function formatPercent(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return MISSING
  const percent = fraction * 100
  if (percent > 0 && percent < 0.05) return '<0.1%'
  if (percent < 100 && percent >= 99.95) return '>99.9%'
  return `${percent.toFixed(1)}%`
}

/** A `<time>` element with the machine-readable instant and the UTC text. */
export function timeElement(date: Date | null, className?: string): SafeHtml {
  if (date === null) return html`<span class="none">${MISSING}</span>`
  return html`<time${className === undefined ? '' : html` class="${className}"`} datetime="${date.toISOString()}">${formatTime(date)}</time>`
}
