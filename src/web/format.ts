import { formatTime, MISSING } from '../core/alert-text.js'
import { html, type SafeHtml } from './html.js'

/**
 * The web page's own formatting: the text of numbers, times and labels comes from `core/alert-text.ts`,
 * shared with the terminal viewer and the log channel; this adds only what needs markup, and the one
 * percent format of every page (and of the e-mail and Slack messages, which may import it).
 */
export { formatChannelDifference, formatDecimal, formatEventType, formatTime } from '../core/alert-text.js'

/** One percent format everywhere (pages, mail, Slack, terminal): defined beside the alert text. */
export { formatPercent } from '../core/alert-text.js'

/** A `<time>` element with the machine-readable instant and the UTC text. */
export function timeElement(date: Date | null, className?: string): SafeHtml {
  if (date === null) return html`<span class="none">${MISSING}</span>`
  return html`<time${className === undefined ? '' : html` class="${className}"`} datetime="${date.toISOString()}">${formatTime(date)}</time>`
}
