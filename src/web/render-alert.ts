import {
  alertHeadline,
  formatBytes,
  formatChannelDifference,
  formatDecimal,
  formatEventType,
  headlineFacts,
  imageLabel,
  MISSING,
} from '../core/alert-text.js'
import type { AlertView, ImageRecord } from '../core/types.js'
import { alertUrls } from './alert-json.js'
import { isFitsImage } from './fits-images.js'
import { formatPercent, timeElement } from './format.js'
import { html, type SafeHtml } from './html.js'
import { renderDelivered } from './render-delivered.js'
import type { DeliveryStatusJson } from './render-deliveries.js'
import { fitsImg, imagePageUrl, observationLine, previewUrl, readoutLine, renderObservationFacts } from './render-observation.js'
import { detectionMarks, renderDetections, renderMarks, type Mark } from './render-detections.js'
import { derivativeUrl, fieldUrl, NO_SCIENCE, type AlertScience } from './web-science.js'

/**
 * The alert panel: the previous image, the image and the difference image side by side with captions,
 * the event's metrics, a blink comparison and the facts of the alert, event and images.
 * Every value from the database goes through `html`, which escapes it. `deliveries`: the alert's receivers
 * (its Deliveries table), which the Delivered line sums up.
 */
export function renderAlert(view: AlertView, deliveries: readonly DeliveryStatusJson[] = [], science: AlertScience = NO_SCIENCE): SafeHtml {
  const { alert, event, image, previousImage } = view
  const urls = alertUrls(view)
  const number = alert.imageEventAlertId
  const marks = detectionMarks(science.detections)
  const field = image.observation?.field ?? null
  return html`<article class="panel alert" data-alert-view="${number}">
<h1>${alertHeadline(headlineFacts(view))}</h1>
<p class="subtitle">Image ${imageLabel(image)} compared with ${
    previousImage === null ? 'no previous image' : html`image ${imageLabel(previousImage)}`
  } · detected ${timeElement(event.detectedAt)}</p>
<p class="stream-link"><a href="streams/${encodeURIComponent(image.stream)}" data-stream-link>Stream ${image.stream} over time</a>${
    field === null || science.run === null
      ? ''
      : html` · <a href="${fieldUrl(image.stream, field, '')}" data-field-link>Field ${field} and its reference</a>`
  }</p>
<div class="figures">
${
  previousImage === null
    ? html`<figure data-role="previous">
  <div class="frame placeholder">No previous image: image ${imageLabel(image)} is the first image of stream ${image.stream}.</div>
  <figcaption><strong>Previous image</strong>none in stream ${image.stream}</figcaption>
</figure>`
    : renderFigure('previous', 'Previous image', previousImage, urls.previousImage ?? '')
}
${renderFigure('image', 'Image', image, urls.image, marks)}
${
  renderDifferenceFits(view, science, marks) ??
  (hasDifferenceImage(event)
    ? html`<figure data-role="difference">
  <a class="frame" href="${urls.difference}"><img src="${urls.difference}" alt="Difference image of alert ${number}"></a>
  <figcaption><strong>Difference image</strong>image event ${event.imageEventId} · ${formatEventType(event.eventType)}</figcaption>
</figure>`
    : html`<figure data-role="difference">
  <div class="frame placeholder" data-difference-pending>The difference image is not available yet.</div>
  <figcaption><strong>Difference image</strong>image event ${event.imageEventId} · not available yet</figcaption>
</figure>`)
}
</div>
${science.detections.length > 0 ? renderDetections(science, '') : hasDifferenceImage(event) ? differenceLegend() : ''}
<ul class="metrics">
  <li><span class="value" data-metric="l2">${formatDecimal(image.l2Norm)}</span><span class="label">L2 norm of the difference</span></li>
  <li><span class="value" data-metric="changed">${formatPercent(image.changedFraction)}</span><span class="label">pixels changed</span></li>
  <li><span class="value" data-metric="max">${formatChannelDifference(image.maxAbsDifference)}</span><span class="label">largest channel difference</span></li>
</ul>
<div class="columns">
<section class="blink" data-blink>
<h2>Blink comparison</h2>
${
  previousImage === null
    ? html`<p>Nothing to blink against: this is the first image of its stream.</p>`
    : html`<div class="blink-stage">
  <div class="layer"><img src="${pictureUrl(previousImage, urls.previousImage ?? '')}" alt="Previous image ${imageLabel(previousImage)}"><span class="tag">previous · ${imageLabel(previousImage)}</span></div>
  <div class="layer blink-top"><img src="${pictureUrl(image, urls.image)}" alt="Image ${imageLabel(image)}"><span class="tag">image · ${imageLabel(image)}</span></div>
</div>
<p>Alternates between the previous image and this image.</p>
<button type="button" data-blink-toggle aria-pressed="false" hidden>Pause</button>`
}
</section>
<section class="facts">
<h2>Details</h2>
<dl class="facts">
  <dt>Alert</dt><dd>${number} · created ${timeElement(alert.createdAt)}</dd>
  <dt>Delivered</dt><dd data-delivered>${renderDelivered(alert, deliveries)}</dd>
  <dt>Image event</dt><dd>${event.imageEventId} · ${formatEventType(event.eventType)}</dd>
  <dt>Analyzer</dt><dd>${event.analyzer ?? 'unknown'}${event.analyzerVersion === null ? '' : ` ${event.analyzerVersion}`}</dd>
  <dt>Stream</dt><dd>${image.stream}</dd>
  <dt>Image</dt><dd>${imageFacts(image)}</dd>
  ${image.observation == null ? '' : renderObservationFacts(image.observation)}
  <dt>Previous image</dt><dd>${previousImage === null ? 'none (first image of the stream)' : imageFacts(previousImage)}</dd>
  <dt>Received</dt><dd>${timeElement(image.receivedAt)}</dd>
  <dt>Analyzed</dt><dd>${timeElement(image.analyzedAt)}</dd>
</dl>
<h2>Downloads</h2>
<ul class="downloads">
  ${previousImage === null ? '' : html`<li><a href="${urls.previousImageDownload ?? ''}" download>Previous image</a></li>`}
  <li><a href="${urls.imageDownload}" download>Image</a></li>
  <li><a href="${urls.differenceDownload}" download>Difference image</a></li>
  ${science.derivatives
    .filter((derivative) => derivative.sourceId === null)
    .map(
      (derivative) => html`<li><a href="${derivativeUrl(derivative, '')}?download=1" download data-derivative>${derivative.name}</a></li>`,
    )}
</ul>
</section>
</div>
</article>`
}

/**
 * What the difference image's tones mean (see `analysis/difference-image.ts`): image − previous image per channel,
 * stretched so the largest darkening is black and the largest brightening white; no change is the grey between.
 */
function differenceLegend(): SafeHtml {
  return html`<div class="difference-key" aria-label="Difference image legend">
<h2>Reading the difference image</h2>
<dl class="difference-legend" data-difference-legend>
  <div><dt><span class="swatch grey"></span>Grey</dt><dd>no change (the even tone of the background)</dd></div>
  <div><dt><span class="swatch white"></span>Lighter, up to white</dt><dd>brighter than in the previous image</dd></div>
  <div><dt><span class="swatch black"></span>Darker, up to black</dt><dd>darker than in the previous image</dd></div>
  <div><dt><span class="swatch tint"></span>Colour tint</dt><dd>one colour channel changed more than the others</dd></div>
</dl>
<p class="difference-note">Stretched per image: white and black are this image's largest changes, not fixed amounts. An all-black difference image means nothing changed.</p>
</div>`
}

/** Keeps a size's unit on the line of its number. */
const NO_BREAK_SPACE = '\u00a0'

function imageFacts(image: ImageRecord): SafeHtml {
  const size = image.width === null || image.height === null ? null : `${image.width}×${image.height}`
  return html`${image.imageFilename} · number ${image.imageNum ?? MISSING} · id ${image.imageId}${size === null ? '' : ` · ${size}`}${
    image.format === null ? '' : ` · ${image.format}`
  } · ${formatBytes(image.byteSize, NO_BREAK_SPACE)}`
}

/** Width and height attributes, so the layout does not jump while images load. */
function dimensions(image: ImageRecord): SafeHtml {
  return image.width === null || image.height === null ? html`` : html` width="${image.width}" height="${image.height}"`
}

function renderFigure(role: string, title: string, image: ImageRecord, url: string, marks: readonly Mark[] = []): SafeHtml {
  const alt = `${title} ${imageLabel(image)} of stream ${image.stream}`
  if (isFitsImage(image)) {
    // A browser cannot show FITS: the zscale preview, linked to the image's page (observation, header, readout).
    const line = image.observation == null ? '' : observationLine(image.observation)
    const overlay =
      marks.length === 0 || image.width === null || image.height === null ? null : renderMarks(image.width, image.height, marks)
    return html`<figure data-role="${role}">
  <a class="frame${overlay === null ? '' : ' marked'}" href="${imagePageUrl(image, '')}">${fitsImg(image, '', alt)}${overlay}</a>
  <figcaption><strong>${title}</strong>${image.stream} · image ${imageLabel(image)}${line === '' ? '' : ` · ${line}`} · received ${timeElement(image.receivedAt)}</figcaption>
  ${readoutLine(image)}
</figure>`
  }
  return html`<figure data-role="${role}">
  <a class="frame" href="${url}"><img src="${url}" alt="${alt}"${dimensions(image)}></a>
  <figcaption><strong>${title}</strong>${image.stream} · image ${imageLabel(image)} · received ${timeElement(image.receivedAt)}</figcaption>
</figure>`
}

/**
 * Difference imaging's difference: the zscale preview of its `difference.fits` (on the image's pixel grid, so the
 * detections are circled where they are), linked to the FITS file. Null without one (pixel-difference events).
 */
function renderDifferenceFits(view: AlertView, science: AlertScience, marks: readonly Mark[]): SafeHtml | null {
  const { image, event } = view
  const fits = science.derivatives.find((derivative) => derivative.name === 'difference.fits')
  if (fits === undefined || image.width === null || image.height === null) return null
  const url = derivativeUrl(fits, '')
  return html`<figure data-role="difference">
  <a class="frame${marks.length === 0 ? '' : ' marked'}" href="${url}"><img src="${url}/preview" alt="Difference image of alert ${view.alert.imageEventAlertId}" width="${image.width}" height="${image.height}" data-difference-fits>${
    marks.length === 0 ? '' : renderMarks(image.width, image.height, marks)
  }</a>
  <figcaption><strong>Difference image</strong>image − reference · image event ${event.imageEventId} · ${formatEventType(event.eventType)}</figcaption>
</figure>`
}

/** What an `<img>` can show of the image: the original, or a FITS image's preview. */
function pictureUrl(image: ImageRecord, url: string): string {
  return isFitsImage(image) ? previewUrl(image, '') : url
}

/** An event may be recorded before its difference image is made (its key is null until then). */
export function hasDifferenceImage(event: { differenceImageObjectKey: string | null }): boolean {
  return event.differenceImageObjectKey !== null && event.differenceImageObjectKey !== ''
}
