import { MISSING } from '../core/alert-text.js'
import type { DiaSourceRecord } from '../core/ports/object-ledger.js'
import { previewFactor } from './fits-images.js'
import { html, type SafeHtml } from './html.js'
import { formatDecDms, formatDegrees, formatRaHms } from './sky-text.js'
import { derivativeUrl, fieldUrl, STAMP_KINDS, stampsOf, type AlertScience } from './web-science.js'

/**
 * Difference imaging on the alert page: the "Detections" card (per detection its three stamps and its
 * measurement) and the circles drawn over the full-size previews. Every value goes through `html`.
 */

/** Detections listed with stamps; an image with hundreds gets the most significant ones and a count of the rest. */
const DETECTIONS_LISTED = 50
/** Circles drawn on a preview: beyond this a crowded field is a grey smear of rings anyway. */
const MARKS_DRAWN = 500

/** One position to circle, 0-based pixel coordinates of the image the preview shows. */
export interface Mark {
  readonly x: number
  readonly y: number
  /** Shown beside the circle (the detection's number in the card). */
  readonly label: string
  /** `new_source`, `brightening` or `fading`: fading ones are drawn in another colour. */
  readonly kind: string
}

/**
 * An SVG laid over a FITS preview (`.marked` frame). Its view box is the image area the preview covers — the
 * preview is the image shrunk by an integer factor, the last block partial, FITS row 1 at the bottom
 * (analysis/display/preview.ts) — and its default `xMidYMid meet` letterboxes exactly like the `<img>`'s
 * `object-fit: contain`, so a circle sits on its pixel at any display size. Pixel (x, y)'s centre is at
 * (x + 0.5, coveredHeight − y − 0.5).
 */
export function renderMarks(width: number, height: number, marks: readonly Mark[]): SafeHtml {
  const factor = previewFactor(width, height)
  const coveredWidth = Math.ceil(width / factor) * factor
  const coveredHeight = Math.ceil(height / factor) * factor
  // About 1/40 of the longer side: visible on a shrunk preview without hiding the source it rings.
  const radius = Math.max(4, Math.round(Math.max(coveredWidth, coveredHeight) / 40))
  const shown = marks.slice(0, MARKS_DRAWN)
  return html`<svg class="marks" viewBox="0 0 ${coveredWidth} ${coveredHeight}" aria-hidden="true" data-marks="${shown.length}">${shown.map(
    (mark) => {
      const cx = round(mark.x + 0.5)
      const cy = round(coveredHeight - mark.y - 0.5)
      // Up and to the right of the circle, or below / to the left where that would leave the picture.
      const size = radius * 1.6
      const right = cx + radius * 1.1 + size * mark.label.length < coveredWidth
      const above = cy - radius * 1.1 - size > 0
      const tx = round(right ? cx + radius * 1.1 : cx - radius * 1.1)
      const ty = round(above ? cy - radius * 1.1 : cy + radius * 1.1 + size * 0.8)
      return html`<g class="mark ${mark.kind === 'fading' ? 'negative' : 'positive'}" data-mark="${mark.label}"><circle cx="${cx}" cy="${cy}" r="${radius}"></circle><text x="${tx}" y="${ty}" font-size="${round(size)}"${right ? '' : html` text-anchor="end"`}>${mark.label}</text></g>`
    },
  )}</svg>`
}

/** The detections of an alert as marks, numbered as the card lists them. */
export function detectionMarks(detections: readonly DiaSourceRecord[]): Mark[] {
  return detections.map((detection, index) => ({ x: detection.x, y: detection.y, label: String(index + 1), kind: detection.kind }))
}

/** The "Detections" card; empty when the event has none. */
export function renderDetections(science: AlertScience, root: string): SafeHtml {
  const { detections, run, reference } = science
  if (detections.length === 0) return html``
  const listed = detections.slice(0, DETECTIONS_LISTED)
  return html`<section class="detections" data-detections="${detections.length}">
<h2>Detections (${detections.length})</h2>
${
  run === null
    ? ''
    : html`<p class="run" data-run>Against reference ${
        reference === null
          ? run.referenceId
          : html`<a href="${fieldUrl(reference.stream, reference.field, root)}" data-field-link>${reference.field} v${reference.version} (${reference.filter})</a>`
      } · PSF ${run.psfMethod}, FWHM ${number(run.scienceFwhm, 2)} px (image) / ${number(run.referenceFwhm, 2)} px (reference) · ${run.candidates} candidates, ${run.detections} passed real-bogus · ${number(run.seconds, 2)} s</p>`
}
<ol class="detection-list">
${listed.map((detection, index) => renderDetection(detection, index + 1, science, root))}
</ol>
${detections.length > listed.length ? html`<p class="more">${detections.length - listed.length} more detections not listed (the most significant come first).</p>` : ''}
</section>`
}

function renderDetection(detection: DiaSourceRecord, number_: number, science: AlertScience, root: string): SafeHtml {
  const stamps = stampsOf(science.derivatives, detection.sourceId)
  return html`<li class="detection" data-detection="${detection.sourceId}" id="detection-${number_}">
<div class="stamps">${STAMP_KINDS.map((kind) => {
    const { png, fits } = stamps[kind]
    const label = `${kind[0]!.toUpperCase()}${kind.slice(1)}`
    return html`<figure data-stamp="${kind}">${
      png === null
        ? html`<div class="stamp placeholder">no stamp</div>`
        : html`<img class="stamp" src="${derivativeUrl(png, root)}" width="63" height="63" alt="${label} stamp of detection ${number_}">`
    }<figcaption>${label}${fits === null ? '' : html` · <a href="${derivativeUrl(fits, root)}" download>FITS</a>`}</figcaption></figure>`
  })}</div>
<dl class="measurement" data-measurement>
  <dt>Detection</dt><dd>${number_} · source ${detection.sourceId} · <span data-m="kind">${detection.kind}</span></dd>
  <dt>Position</dt><dd data-m="sky">${formatRaHms(detection.ra)} ${formatDecDms(detection.dec)} (${formatDegrees(detection.ra)}, ${formatDegrees(detection.dec)})</dd>
  <dt>Pixel</dt><dd data-m="pixel">x ${number(detection.x, 2)}, y ${number(detection.y, 2)} (0-based)</dd>
  <dt>PSF flux</dt><dd data-m="flux">${number(detection.psfFlux, 1)} ± ${number(detection.psfFluxErr, 1)}</dd>
  <dt>S/N</dt><dd data-m="snr">${number(detection.snr, 1)}</dd>
  <dt>Real-bogus</dt><dd data-m="rb">${number(detection.realBogus, 2)}</dd>
  <dt>FWHM</dt><dd data-m="fwhm">${optional(detection.fwhm, 2, ' px')}</dd>
  <dt>Elongation</dt><dd data-m="elongation">${optional(detection.elongation, 2, '')}</dd>
  <dt>Object</dt><dd><a href="${root}objects/${detection.objectId}" data-object-link>object ${detection.objectId}</a></dd>
</dl>
</li>`
}

/** Measurement columns added later may be null (SQL) or absent (memory) on older rows. */
function optional(value: number | null | undefined, digits: number, unit: string): string {
  return value === null || value === undefined ? MISSING : `${number(value, digits)}${unit}`
}

function number(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : MISSING
}

/** Two decimals of a preview pixel: finer than any screen shows, short in the markup. */
function round(value: number): number {
  return Math.round(value * 100) / 100
}
