import { imageLabel, MISSING } from '../core/alert-text.js'
import type { DiaSourceRecord } from '../core/ports/object-ledger.js'
import type { ReferenceRecord } from '../core/ports/science-ledger.js'
import type { ImageRecord } from '../core/types.js'
import type { LoadedFits } from './fits-images.js'
import { timeElement } from './format.js'
import { html, type SafeHtml } from './html.js'
import { renderMarks, type Mark } from './render-detections.js'
import { renderDocument, type AssetVersions } from './render-layout.js'
import { formatDecDms, formatRaHms } from './sky-text.js'

/** A detection of one of the field's recent alerted images. */
export interface FieldDetection {
  readonly detection: DiaSourceRecord
  readonly alertNumber: number
  readonly image: ImageRecord
}

export interface FieldPage {
  stream: string
  field: string
  /** Every reference of the field, any filter and status, as the ledger lists them. */
  references: readonly ReferenceRecord[]
  latest: ReferenceRecord | null
  /** The latest reference decoded (its size and WCS place the marks); null when it cannot be read now. */
  reference: LoadedFits | null
  detections: readonly FieldDetection[]
  assets: AssetVersions
  root: string
}

/**
 * The page of one field (`fields/<stream>/<field>`): its latest reference as a zscale + asinh preview, the
 * detections of the field's recent alerted images circled on it — placed through their RA/Dec and the
 * reference's own WCS, since each image is aligned to the reference, not the other way round — and every
 * reference of the field. Field names are header text: everything goes through `html`.
 */
export function renderFieldPage(page: FieldPage): SafeHtml {
  const { stream, field, latest, reference, detections, root } = page
  const placed = reference === null ? [] : placeOn(reference, detections)
  return renderDocument({
    title: `Field ${field} of stream ${stream} · imgpipe image event viewer`,
    root,
    assets: page.assets,
    section: 'streams',
    main: html`<article class="panel field-page" data-field-page>
<h1>Field ${field} of stream ${stream}</h1>
<p class="stream-link"><a href="${root}streams/${encodeURIComponent(stream)}" data-stream-link>Stream ${stream} over time</a></p>
${
  latest === null
    ? html`<p class="empty" data-no-reference>No reference of this field is ready yet: its images are compared with the image before them.</p>`
    : html`<div class="image-view">
<figure data-role="reference">
  ${
    reference === null
      ? html`<div class="frame placeholder" data-reference-unreadable>The reference cannot be shown right now (busy, missing or unreadable).</div>`
      : html`<div class="frame marked"><img src="${root}references/${latest.referenceId}/preview" alt="Reference ${latest.version} of field ${field}" width="${reference.width}" height="${reference.height}" data-reference-preview>${renderMarks(
          reference.width,
          reference.height,
          placed,
        )}</div>`
  }
  <figcaption>Reference v${latest.version}: zscale interval, asinh stretch, FITS row 1 at the bottom. Circles: detections of the field's recent alerts (numbers as listed below)${
    reference !== null && placed.length < detections.length ? `; ${detections.length - placed.length} fall outside it` : ''
  }.</figcaption>
</figure>
<section class="facts">
<h2>Latest reference</h2>
<dl class="facts" data-reference="${latest.referenceId}">
  <dt>Version</dt><dd data-ref="version">${latest.version}</dd>
  <dt>Filter</dt><dd>${latest.filter}</dd>
  <dt>Frames</dt><dd data-ref="frames">${latest.frames}</dd>
  <dt>FWHM</dt><dd data-ref="fwhm">${latest.fwhm === null ? MISSING : `${latest.fwhm.toFixed(2)} px`}</dd>
  <dt>Size</dt><dd>${reference === null ? MISSING : `${reference.width}×${reference.height}`}</dd>
  <dt>Built</dt><dd>${timeElement(latest.createdAt)}${
    latest.imageIds.length === 0
      ? ' · set from a file'
      : html` · from images ${latest.imageIds.map((id, index) => html`${index === 0 ? '' : ', '}<a href="${root}images/${id}/view">${id}</a>`)}`
  }</dd>
</dl>
</section>
</div>`
}
<h2>Detections of recent alerts (${detections.length})</h2>
${detections.length === 0 ? html`<p class="empty">No detections in the field's recent alerts.</p>` : renderDetectionTable(detections, root)}
<h2>References (${page.references.length})</h2>
${page.references.length === 0 ? html`<p class="empty">None yet.</p>` : renderReferenceTable(page.references, root)}
</article>`,
  })
}

/** The detections inside the reference, through its WCS; numbered as the table lists them. */
function placeOn(reference: LoadedFits, detections: readonly FieldDetection[]): Mark[] {
  const { wcs, width, height } = reference
  if (wcs === null) return []
  const marks: Mark[] = []
  detections.forEach(({ detection }, index) => {
    const { x, y } = wcs.skyToPixel(detection.ra, detection.dec)
    if (x >= -0.5 && x < width - 0.5 && y >= -0.5 && y < height - 0.5) marks.push({ x, y, label: String(index + 1), kind: detection.kind })
  })
  return marks
}

function renderDetectionTable(detections: readonly FieldDetection[], root: string): SafeHtml {
  return html`<table class="data field-detections" data-field-detections>
<thead><tr><th>#</th><th>Alert</th><th>Image</th><th>RA</th><th>Dec</th><th>PSF flux</th><th>S/N</th><th>Kind</th><th>Object</th></tr></thead>
<tbody>${detections.map(
    ({ detection, alertNumber, image }, index) => html`<tr data-source="${detection.sourceId}">
<td>${index + 1}</td><td><a href="${root}?alert_num=${alertNumber}">${alertNumber}</a></td><td><a href="${root}images/${image.imageId}/view">${imageLabel(image)}</a></td>
<td>${formatRaHms(detection.ra)}</td><td>${formatDecDms(detection.dec)}</td><td>${detection.psfFlux.toFixed(1)} ± ${detection.psfFluxErr.toFixed(1)}</td>
<td>${detection.snr.toFixed(1)}</td><td>${detection.kind}</td><td><a href="${root}objects/${detection.objectId}">${detection.objectId}</a></td></tr>`,
  )}</tbody>
</table>`
}

function renderReferenceTable(references: readonly ReferenceRecord[], root: string): SafeHtml {
  return html`<table class="data references" data-references>
<thead><tr><th>Version</th><th>Filter</th><th>Status</th><th>Frames</th><th>FWHM</th><th>Created</th><th>Preview</th></tr></thead>
<tbody>${references.map(
    (
      reference,
    ) => html`<tr data-reference-row="${reference.referenceId}"><td>${reference.version}</td><td>${reference.filter}</td><td>${reference.status}</td><td>${reference.frames}</td>
<td>${reference.fwhm === null ? MISSING : reference.fwhm.toFixed(2)}</td><td>${timeElement(reference.createdAt)}</td><td>${
      reference.status === 'ready' && reference.objectKey !== null
        ? html`<a href="${root}references/${reference.referenceId}/preview">PNG</a>`
        : MISSING
    }</td></tr>`,
  )}</tbody>
</table>`
}
