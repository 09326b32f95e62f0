import { formatTime, MISSING } from '../core/alert-text.js'
import { html, type SafeHtml } from './html.js'

/**
 * The web page's own formatting: the text of numbers, times, labels, headlines and escaping comes from
 * `core/alert-text.ts`, shared with the terminal viewer, the log, Slack and e-mail; this adds only what needs
 * markup. The two re-exports are the ones the pages import from here.
 */
export { formatEventType, formatPercent } from '../core/alert-text.js'

/** A `<time>` element with the machine-readable instant and the UTC text. */
export function timeElement(date: Date | null, className?: string): SafeHtml {
  if (date === null) return html`<span class="none">${MISSING}</span>`
  return html`<time${className === undefined ? '' : html` class="${className}"`} datetime="${date.toISOString()}">${formatTime(date)}</time>`
}
