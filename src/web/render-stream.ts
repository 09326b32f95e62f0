import type { StreamActivity } from '../core/ports/catalog.js'
import { formatPercent, timeElement } from './format.js'
import { html, type SafeHtml } from './html.js'
import { failureReason, renderChangeChart, renderRateChart } from './render-chart.js'
import { renderDocument, type AssetVersions } from './render-layout.js'

/** Failed images listed under the chart with their reasons; more are counted, not listed. */
const FAILED_LISTED = 20

/** The page of one stream (`streams/<name>`): its images over time, its alerts, and the last hour's rates. */
export function renderStreamPage(options: { activity: StreamActivity; now: Date; assets: AssetVersions; root: string }): SafeHtml {
  const { activity, now, root } = options
  const { points, stream } = activity
  const alerts = points.filter((point) => point.alertNumber !== null)
  const failed = points.filter((point) => point.status === 'failed')
  const first = points[0]
  const last = points.at(-1)
  return renderDocument({
    title: `Stream ${stream} · imgpipe image event viewer`,
    root,
    assets: options.assets,
    section: 'streams',
    main: html`<section class="panel stream" data-stream="${stream}">
<h1>Stream ${stream}</h1>
<p class="subtitle">${
      first === undefined || last === undefined
        ? 'No images yet.'
        : html`Images ${first.imageNum ?? '?'} to ${last.imageNum ?? '?'} (${points.length} shown) · ${alerts.length} alerted · ${failed.length} failed · newest received ${timeElement(last.receivedAt)} · <a href="${root}alerts?stream=${encodeURIComponent(stream)}">all alerts of this stream</a>`
    }</p>
<h2>Change against the previous image</h2>
<p class="legend"><span class="key changed"></span>pixels changed (left axis) <span class="key l2"></span>L2 norm (right axis) <span class="key alert"></span>alert (opens it)${
      failed.length === 0
        ? ''
        : html` <span class="key failed" data-legend="failed">×</span>failed image: not analysed, no change measured (hover for the reason)`
    }</p>
${points.length === 0 ? html`<p class="empty">Nothing to chart yet.</p>` : renderChangeChart(points, root)}
${failed.length === 0 ? '' : renderFailed(failed)}
<h2>Last hour, per minute</h2>
<p class="legend"><span class="key images"></span>images received: ${activity.imageTimes.length} <span class="key alert"></span>alerts: ${activity.alertTimes.length}</p>
${renderRateChart(activity.imageTimes, activity.alertTimes, now)}
<h2>Alerts in this range</h2>
${
  alerts.length === 0
    ? html`<p class="empty">No alerts among these images.</p>`
    : html`<div class="table-scroll"><table class="data stream-alerts" data-stream-alerts><thead><tr><th>Alert</th><th class="number">Image</th><th class="number">Pixels changed</th><th>Received</th></tr></thead><tbody>${[
        ...alerts,
      ]
        .reverse()
        .map(
          (point) =>
            html`<tr data-alert="${point.alertNumber ?? ''}"><td><a href="${root}?alert_num=${point.alertNumber ?? ''}">Alert ${point.alertNumber ?? ''}</a></td><td class="number">${point.imageNum ?? '?'}</td><td class="number">${formatPercent(point.changedFraction)}</td><td>${timeElement(point.receivedAt)}</td></tr>`,
        )}</tbody></table></div>`
}
<p><a href="${root}streams">All streams</a></p>
</section>`,
  })
}

function renderFailed(failed: readonly StreamActivity['points'][number][]): SafeHtml {
  const listed = failed.slice(-FAILED_LISTED).reverse()
  return html`<h2>Failed images</h2>
<div class="table-scroll"><table class="data failed-images" data-failed-images><thead><tr><th class="number">Image</th><th>Reason</th><th>Received</th></tr></thead><tbody>${listed.map(
    (point) =>
      html`<tr data-failed-image="${point.imageId}"><td class="number">${point.imageNum ?? '?'}</td><td>${failureReason(point)}</td><td>${timeElement(point.receivedAt)}</td></tr>`,
  )}</tbody></table></div>${
    failed.length > listed.length ? html`<p class="counts-note">The newest ${listed.length} of ${failed.length} failed images.</p>` : ''
  }`
}
