import type { StreamActivity } from '../core/ports/catalog.js'
import { formatPercent, timeElement } from './format.js'
import { html, type SafeHtml } from './html.js'
import { renderRateChart, renderChangeChart } from './render-chart.js'
import { renderDocument, type AssetVersions } from './render-layout.js'

/** The page of one stream (`streams/<name>`): its images over time, its alerts, and the last hour's rates. */
export function renderStreamPage(options: { activity: StreamActivity; now: Date; assets: AssetVersions; root: string }): SafeHtml {
  const { activity, now, root } = options
  const { points, stream } = activity
  const alerts = points.filter((point) => point.alertNumber !== null)
  const failed = points.filter((point) => point.status === 'failed').length
  const first = points[0]
  const last = points.at(-1)
  return renderDocument({
    title: `Stream ${stream} · imgpipe image event viewer`,
    root,
    assets: options.assets,
    main: html`<section class="panel stream" data-stream="${stream}">
<h1>Stream ${stream}</h1>
<p class="subtitle">${
      first === undefined || last === undefined
        ? 'No images yet.'
        : html`Images ${first.imageNum ?? '?'} to ${last.imageNum ?? '?'} (${points.length} shown) · ${alerts.length} alerted · ${failed} failed · newest received ${timeElement(last.receivedAt)}`
    }</p>
<h2>Change against the previous image</h2>
<p class="legend"><span class="key changed"></span>pixels changed (left axis) <span class="key l2"></span>L2 norm (right axis) <span class="key alert"></span>alert (opens it)</p>
${points.length === 0 ? html`<p class="empty">Nothing to chart yet.</p>` : renderChangeChart(points, root)}
<h2>Last hour, per minute</h2>
<p class="legend"><span class="key images"></span>images received: ${activity.imageTimes.length} <span class="key alert"></span>alerts: ${activity.alertTimes.length}</p>
${renderRateChart(activity.imageTimes, activity.alertTimes, now)}
<h2>Alerts in this range</h2>
${
  alerts.length === 0
    ? html`<p class="empty">No alerts among these images.</p>`
    : html`<ol class="stream-alerts">${[...alerts]
        .reverse()
        .map(
          (point) =>
            html`<li><a href="${root}?alert_num=${point.alertNumber ?? ''}">#${point.alertNumber ?? ''}</a> image ${point.imageNum ?? '?'} · ${formatPercent(point.changedFraction)} changed</li>`,
        )}</ol>`
}
<p><a href="${root}">Back to the image event viewer</a></p>
</section>`,
  })
}
