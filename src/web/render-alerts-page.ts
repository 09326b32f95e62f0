import type { AlertView } from '../core/types.js'
import { formatEventType, formatPercent, timeElement } from './format.js'
import { html, type SafeHtml } from './html.js'
import { listHref, type ListForm, type ListQuery } from './list-params.js'
import { renderDocument, renderMessage, type AssetVersions } from './render-layout.js'
import { renderFilterForm } from './render-streams.js'

/** Alerts per page of `/alerts`. */
export const ALERTS_PAGE_SIZE = 25

/** `/alerts`: every alert, newest first, filtered by stream and time, paged backwards by number. */
export function renderAlertsPage(options: {
  assets: AssetVersions
  form: ListForm
  error?: string
  query?: ListQuery
  views: readonly AlertView[]
  hasOlder: boolean
}): SafeHtml {
  const { query, views } = options
  const root = './'
  const oldest = views.at(-1)?.alert.imageEventAlertId
  const pager: SafeHtml[] = []
  if (query?.before !== undefined) pager.push(html`<a href="${root}alerts${listHref(query)}" data-page="newest">← Newest</a>`)
  if (query !== undefined && options.hasOlder && oldest !== undefined) {
    pager.push(html`<a href="${root}alerts${listHref(query, { name: 'before', value: String(oldest) })}" data-page="older">Older →</a>`)
  }
  return renderDocument({
    title: 'Alerts · imgpipe image event viewer',
    root,
    assets: options.assets,
    section: 'alerts',
    main: html`<section class="panel alerts-page" data-alerts-page>
<h1>Alerts</h1>
${renderFilterForm('alerts', options.form, 'Stream')}
${options.error === undefined ? '' : renderMessage('error', html`<p>${options.error}</p>`)}
${
  options.error !== undefined
    ? ''
    : views.length === 0
      ? html`<p class="empty" data-empty>${query?.before !== undefined ? 'No older alerts.' : 'No alerts match.'}</p>`
      : renderAlertTable(views, root)
}
${pager.length === 0 ? '' : html`<nav class="pager" aria-label="Alert pages">${pager}</nav>`}
</section>`,
  })
}

function renderAlertTable(views: readonly AlertView[], root: string): SafeHtml {
  return html`<div class="table-scroll"><table class="data alerts" data-alerts><thead><tr><th>Alert</th><th>Stream</th><th class="number">Image</th><th>Event</th><th class="number">Pixels changed</th><th>Created</th><th>Delivered</th></tr></thead><tbody>${views.map(
    ({ alert, event, image }) =>
      html`<tr data-alert-row="${alert.imageEventAlertId}"><td><a href="${root}?alert_num=${alert.imageEventAlertId}">Alert ${alert.imageEventAlertId}</a></td><td><a href="${root}streams/${encodeURIComponent(image.stream)}">${image.stream}</a></td><td class="number">${image.imageNum ?? '?'}</td><td>${formatEventType(event.eventType)}</td><td class="number">${formatPercent(image.changedFraction)}</td><td>${timeElement(alert.createdAt)}</td><td>${
        alert.deliveredAt === null ? html`<span class="none">pending</span>` : timeElement(alert.deliveredAt)
      }</td></tr>`,
  )}</tbody></table></div>`
}
