import type { AlertView } from '../core/types.js'
import { formatEventType, timeElement } from './format.js'
import { html, type SafeHtml } from './html.js'
import { THUMBNAIL_HEIGHT, THUMBNAIL_WIDTH } from './thumbnails.js'

export interface AlertListOptions {
  /** Newest first, at most one page. */
  views: readonly AlertView[]
  /** The page started below this alert number (`?before=`); undefined for the newest page. */
  before: number | undefined
  /** True when older alerts exist beyond this page. */
  hasOlder: boolean
  /** The alert shown in the main column, marked as current in the list. */
  current: number | null
  /** Kept in the paging links so paging does not lose the alert being looked at. */
  alertNum: string | null
}

/**
 * The recent-alerts list. Only the newest page is live (`data-live`): the browser script inserts alerts
 * pushed on `events` at its top, starting after `data-after`, the newest number it shows.
 * The item layout is repeated in `assets/viewer.js`, which builds the same markup with DOM calls.
 */
export function renderAlertList(options: AlertListOptions): SafeHtml {
  const { views, before, current } = options
  const live = before === undefined
  const newest = views[0]?.alert.imageEventAlertId ?? 0
  const oldest = views.at(-1)?.alert.imageEventAlertId
  return html`<section class="panel recent" aria-labelledby="recent-title">
<h2 id="recent-title">${live ? 'Recent alerts' : 'Older alerts'}${live ? html` <span class="live offline" data-live-status hidden>connecting</span>` : ''}</h2>
<ol class="alert-list" id="alert-list" data-live="${live ? 'true' : 'false'}" data-after="${newest}" data-current="${current ?? ''}">
${views.map((view) => renderAlertItem(view, current))}
</ol>
<p class="empty" data-empty${views.length === 0 ? '' : html` hidden`}>${live ? 'No alerts yet. New ones appear here as the pipeline records them.' : 'No older alerts.'}</p>
${renderPager(options, oldest)}
</section>`
}

function renderAlertItem(view: AlertView, current: number | null): SafeHtml {
  const number = view.alert.imageEventAlertId
  const { image, event } = view
  return html`<li data-alert="${number}"><a href="?alert_num=${number}"${number === current ? html` aria-current="page"` : ''}><span class="num">#${number}</span><img class="thumb" src="thumbnails/${image.imageId}" alt="" width="${THUMBNAIL_WIDTH}" height="${THUMBNAIL_HEIGHT}" loading="lazy" decoding="async"><span class="what">${image.stream} · image ${image.imageNum ?? '?'}</span><span class="when">${formatEventType(event.eventType)} · ${timeElement(view.alert.createdAt)}</span></a></li>
`
}

function renderPager(options: AlertListOptions, oldest: number | undefined): SafeHtml {
  const links: SafeHtml[] = []
  if (options.before !== undefined) links.push(html`<a href="${pageHref(options.alertNum, undefined)}" data-page="newest">← Newest</a>`)
  if (options.hasOlder && oldest !== undefined) {
    links.push(html`<a href="${pageHref(options.alertNum, oldest)}" data-page="older">Older →</a>`)
  }
  return links.length === 0 ? html`` : html`<nav class="pager" aria-label="Alert pages">${links}</nav>`
}

/** A relative link to the page with the same alert and another page of the list. */
function pageHref(alertNum: string | null, before: number | undefined): string {
  const query = new URLSearchParams()
  if (alertNum !== null) query.set('alert_num', alertNum)
  if (before !== undefined) query.set('before', String(before))
  const text = query.toString()
  return text === '' ? './' : `?${text}`
}
