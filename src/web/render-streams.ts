import type { StreamSummary } from '../core/ports/catalog.js'
import { timeElement } from './format.js'
import { html, type SafeHtml } from './html.js'
import { renderDocument, renderMessage, type AssetVersions } from './render-layout.js'
import { listHref, type ListForm, type ListQuery } from './list-params.js'

/** Newest images of each stream the sparkline covers. */
export const SPARKLINE_IMAGES = 120
/** Streams per page of `/streams`, and on the home page. */
export const STREAMS_PAGE_SIZE = 25
export const HOME_STREAMS = 10

const SPARK_WIDTH = 120
const SPARK_HEIGHT = 28
const SPARK_BINS = 24

/**
 * A sparkline of a stream's events over its newest images: the images, in order of number (so in order of
 * time), cut into up to 24 runs of equal length; the line is the number of events in each run. Failed
 * images are grey ticks under it. Inline SVG with presentation attributes only, as the page's CSP wants.
 */
export function renderSparkline(summary: Pick<StreamSummary, 'stream' | 'recent'>): SafeHtml {
  const { recent } = summary
  if (recent.length === 0) return html`<span class="none">—</span>`
  const bins = Math.min(SPARK_BINS, recent.length)
  const events = new Array<number>(bins).fill(0)
  const failed = new Array<number>(bins).fill(0)
  recent.forEach((image, index) => {
    const bin = Math.floor((index * bins) / recent.length)
    if (image.event) events[bin] = (events[bin] ?? 0) + 1
    if (image.failed) failed[bin] = (failed[bin] ?? 0) + 1
  })
  const top = Math.max(1, ...events)
  const step = bins === 1 ? 0 : (SPARK_WIDTH - 4) / (bins - 1)
  const xOf = (bin: number) => Number((bins === 1 ? SPARK_WIDTH / 2 : 2 + bin * step).toFixed(1))
  const yOf = (count: number) => Number((SPARK_HEIGHT - 4 - (count / top) * (SPARK_HEIGHT - 8)).toFixed(1))
  const line = events.map((count, bin) => `${xOf(bin)},${yOf(count)}`).join(' ')
  const total = events.reduce((sum, count) => sum + count, 0)
  const failedTotal = failed.reduce((sum, count) => sum + count, 0)
  const firstNum = recent[0]?.imageNum ?? 0
  const lastNum = recent.at(-1)?.imageNum ?? 0
  const label = `${total} event${total === 1 ? '' : 's'}${failedTotal === 0 ? '' : ` and ${failedTotal} failed`} among images ${firstNum}–${lastNum} of stream ${summary.stream}`
  return html`<svg class="sparkline" data-sparkline="${summary.stream}" data-events="${total}" role="img" aria-label="${label}" viewBox="0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg"><title>${label}</title>${
    bins === 1
      ? html`<circle cx="${xOf(0)}" cy="${yOf(events[0] ?? 0)}" r="2" fill="#c62828"/>`
      : html`<polyline points="${line}" fill="none" stroke="#c62828" stroke-width="1.5" stroke-linejoin="round"/>`
  }${failed.map((count, bin) =>
    count === 0
      ? ''
      : html`<line x1="${xOf(bin)}" x2="${xOf(bin)}" y1="${SPARK_HEIGHT - 3}" y2="${SPARK_HEIGHT}" stroke="#5d6678" stroke-width="1.5"/>`,
  )}</svg>`
}

/** The table of streams: name (to its page), counts, last received, the sparkline. */
export function renderStreamTable(summaries: readonly StreamSummary[], root: string, ranged: boolean): SafeHtml {
  return html`<div class="table-scroll"><table class="data streams" data-streams><thead><tr><th>Stream</th><th class="number">Images</th><th class="number">Failed</th><th class="number">Events</th><th class="number">Alerts</th><th>Last received${ranged ? ' (in range)' : ''}</th><th>Events, newest ${SPARKLINE_IMAGES} images</th></tr></thead><tbody>${summaries.map(
    (row) =>
      html`<tr data-stream-row="${row.stream}"><td><a href="${root}streams/${encodeURIComponent(row.stream)}">${row.stream}</a></td><td class="number" data-count="images">${row.images}</td><td class="number" data-count="failed">${row.failed}</td><td class="number" data-count="events">${row.events}</td><td class="number" data-count="alerts"><a href="${root}alerts?stream=${encodeURIComponent(row.stream)}">${row.alerts}</a></td><td>${timeElement(row.lastReceivedAt)}</td><td>${renderSparkline(row)}</td></tr>`,
  )}</tbody></table></div>`
}

/** The home page's index: the first streams by name, and the way to the rest. */
export function renderHomeStreams(summaries: readonly StreamSummary[], hasMore: boolean, root: string): SafeHtml {
  const last = summaries.at(-1)?.stream
  return html`<section class="panel streams-index" data-streams-index>
<h1>Streams</h1>
${
  summaries.length === 0
    ? html`<p class="empty">No streams yet. Images appear here once the pipeline receives them (<code>imgpipe run</code>).</p>`
    : html`<p class="subtitle">Each stream's images, events and alerts. Open a stream for its chart, or an alert number above for its images.</p>
${renderStreamTable(summaries, root, false)}
${hasMore && last !== undefined ? html`<p class="counts-note"><a href="${root}streams?after=${encodeURIComponent(last)}" data-page="more-streams">More streams →</a></p>` : ''}`
}
</section>`
}

/** `/streams`: the filter form, the table, the pager; or the reason the query was refused (status 400). */
export function renderStreamsPage(options: {
  assets: AssetVersions
  form: ListForm
  error?: string
  query?: ListQuery
  summaries: readonly StreamSummary[]
  hasMore: boolean
}): SafeHtml {
  const { query, summaries } = options
  const root = './'
  const last = summaries.at(-1)?.stream
  const ranged = query?.since !== undefined || query?.until !== undefined
  const pager: SafeHtml[] = []
  if (query?.after !== undefined) pager.push(html`<a href="${root}streams${listHref(query)}" data-page="first">← First</a>`)
  if (query !== undefined && options.hasMore && last !== undefined) {
    pager.push(html`<a href="${root}streams${listHref(query, { name: 'after', value: last })}" data-page="next">Next →</a>`)
  }
  return renderDocument({
    title: 'Streams · imgpipe image event viewer',
    root,
    assets: options.assets,
    section: 'streams',
    main: html`<section class="panel streams-page" data-streams-page>
<h1>Streams</h1>
${renderFilterForm('streams', options.form, 'Name starts with')}
${options.error === undefined ? '' : renderMessage('error', html`<p>${options.error}</p>`)}
${
  options.error !== undefined
    ? ''
    : summaries.length === 0
      ? html`<p class="empty" data-empty>${query?.after !== undefined ? 'No more streams.' : 'No streams match.'}</p>`
      : html`${renderStreamTable(summaries, root, ranged)}${
          ranged ? html`<p class="counts-note">Counts are of images received in the time range.</p>` : ''
        }`
}
${pager.length === 0 ? '' : html`<nav class="pager" aria-label="Stream pages">${pager}</nav>`}
</section>`,
  })
}

/** The filter form of `/streams` and `/alerts`: a GET form, so a filtered page is a link to share. */
export function renderFilterForm(action: string, form: ListForm, streamLabel: string): SafeHtml {
  return html`<form class="filters" method="get" action="${action}" data-filters>
<label>${streamLabel}<input name="stream" type="text" value="${form.stream}" autocomplete="off" spellcheck="false" maxlength="64"></label>
<label>From (UTC)<input name="from" type="text" value="${form.from}" placeholder="2026-12-07 14:30" autocomplete="off" spellcheck="false"></label>
<label title="A date alone includes that whole day">To (UTC)<input name="to" type="text" value="${form.to}" placeholder="2026-12-07" autocomplete="off" spellcheck="false"></label>
<button type="submit">Filter</button>
<a class="reset" href="${action}">Clear</a>
</form>`
}
