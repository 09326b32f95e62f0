import { MISSING } from '../core/alert-text.js'
import type { DiaObjectRecord, DiaSourceRecord } from '../core/ports/object-ledger.js'
import { html, type SafeHtml } from './html.js'
import { renderDocument, type AssetVersions } from './render-layout.js'
import { formatDecDms, formatDegrees, formatMjd, formatRaHms } from './sky-text.js'

/**
 * The page of one object (`objects/<id>`, Rubin's DIAObject): where it is, and every detection associated with it,
 * oldest first, each linked to its image. What an alert's "link to its object" leads to.
 */
export function renderObjectPage(options: {
  object: DiaObjectRecord
  history: readonly DiaSourceRecord[]
  assets: AssetVersions
  root: string
}): SafeHtml {
  const { object, history, root } = options
  return renderDocument({
    title: `Object ${object.objectId} · imgpipe image event viewer`,
    root,
    assets: options.assets,
    section: 'alerts',
    main: html`<article class="panel object-page" data-object="${object.objectId}">
<h1>Object ${object.objectId}</h1>
<p class="subtitle" data-object-position>${formatRaHms(object.ra)} ${formatDecDms(object.dec)} (${formatDegrees(object.ra)}, ${formatDegrees(object.dec)}) · ${object.nDetections} detections · MJD ${formatMjd(object.firstMjd)} to ${formatMjd(object.lastMjd)} · first seen in stream ${object.stream}</p>
<table class="data object-history" data-object-history>
<thead><tr><th>MJD</th><th>Stream</th><th>Image</th><th>Filter</th><th>PSF flux</th><th>S/N</th><th>Kind</th><th>Real-bogus</th></tr></thead>
<tbody>${history.map(
      (source) =>
        html`<tr data-source="${source.sourceId}"><td>${formatMjd(source.mjd)}</td><td>${source.stream}</td><td>${
          source.imageId === null ? MISSING : html`<a href="${root}images/${source.imageId}/view">${source.imageId}</a>`
        }</td><td>${source.filter}</td><td>${source.psfFlux.toFixed(1)} ± ${source.psfFluxErr.toFixed(1)}</td><td>${source.snr.toFixed(1)}</td><td>${source.kind}</td><td>${source.realBogus.toFixed(2)}</td></tr>`,
    )}</tbody>
</table>
</article>`,
  })
}
