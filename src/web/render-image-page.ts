import { formatBytes, formatPercent, imageLabel, MISSING } from '../core/alert-text.js'
import type { ImageRecord } from '../core/types.js'
import { isFitsImage } from './fits-images.js'
import { timeElement } from './format.js'
import { html, type SafeHtml } from './html.js'
import { renderDocument, type AssetVersions } from './render-layout.js'
import { fitsImg, readoutLine, renderObservationFacts } from './render-observation.js'
import { fieldUrl } from './web-science.js'

/** Header cards shown on the page; a hostile header of thousands of blocks is cut, the download has it all. */
const HEADER_CARDS_SHOWN = 2000

/**
 * The page of one image (`images/<id>/view`): the picture — for a FITS image its zscale + asinh preview with the
 * pixel value and sky position under the pointer —, what the header says about the observation, the header
 * itself, and the download of the original file.
 */
export function renderImagePage(options: { image: ImageRecord; assets: AssetVersions; root: string; fieldPages?: boolean }): SafeHtml {
  const { image, root } = options
  const field = options.fieldPages === true ? (image.observation?.field ?? null) : null
  const fits = isFitsImage(image)
  const observation = image.observation ?? null
  const label = imageLabel(image)
  const size = image.width === null || image.height === null ? null : `${image.width}×${image.height}`
  return renderDocument({
    title: `Image ${label} of stream ${image.stream} · imgpipe image event viewer`,
    root,
    assets: options.assets,
    section: 'streams',
    main: html`<article class="panel image-page" data-image-page="${image.imageId}">
<h1>Image ${label} of stream ${image.stream}</h1>
<p class="subtitle">${image.imageFilename}${size === null ? '' : ` · ${size}`}${image.format === null ? '' : ` · ${image.format}`} · ${formatBytes(
      image.byteSize,
      '\u00a0',
    )} · received ${timeElement(image.receivedAt)}</p>
<p class="stream-link"><a href="${root}streams/${encodeURIComponent(image.stream)}" data-stream-link>Stream ${image.stream} over time</a>${
      field === null
        ? ''
        : html` · <a href="${fieldUrl(image.stream, field, root)}" data-field-link>Field ${field}: its reference and detections</a>`
    }</p>
<div class="image-view">
<figure data-role="image">
  ${renderPicture(image, root, `Image ${label} of stream ${image.stream}`)}
  <figcaption>${
    fits
      ? 'zscale interval, asinh stretch; FITS row 1 at the bottom (north up for the usual WCS); masked pixels dark blue.'
      : 'The picture as received.'
  }</figcaption>
  ${image.status === 'failed' ? '' : readoutLine(image)}
</figure>
<section class="facts">
<h2>${observation === null ? 'Image' : 'Observation'}</h2>
<dl class="facts" data-observation>
  ${observation === null ? '' : renderObservationFacts(observation)}
  <dt>Status</dt><dd>${image.status}${image.errorCode === null ? '' : ` · ${image.errorCode}: ${image.errorMessage ?? ''}`}</dd>
  <dt>Analyzed</dt><dd>${timeElement(image.analyzedAt)}</dd>
  <dt>Change</dt><dd>${image.changedFraction === null ? MISSING : `${formatPercent(image.changedFraction)} of pixels`}</dd>
</dl>
<h2>Downloads</h2>
<ul class="downloads"><li><a href="${root}images/${image.imageId}?download=1" download>${fits ? 'FITS file' : 'Image'} (${image.imageFilename})</a></li></ul>
</section>
</div>
${observation === null ? '' : renderHeader(observation.header, observation.hdu)}
</article>`,
  })
}

/** The picture, the FITS preview, or — for an image that failed at receive — why there is none. */
function renderPicture(image: ImageRecord, root: string, alt: string): SafeHtml {
  if (image.status === 'failed') {
    return html`<div class="frame placeholder" data-failed>Not shown: the image failed (${image.errorCode ?? 'no code'}: ${image.errorMessage ?? 'no reason recorded'}).</div>`
  }
  if (isFitsImage(image)) return html`<div class="frame">${fitsImg(image, root, alt)}</div>`
  return html`<div class="frame"><img src="${root}images/${image.imageId}" alt="${alt}"></div>`
}

function renderHeader(header: string, hdu: number): SafeHtml {
  const cards = header === '' ? [] : header.split('\n')
  const shown = cards.slice(0, HEADER_CARDS_SHOWN)
  return html`<details class="fits-header" data-fits-header>
<summary>FITS header of HDU ${hdu} (${cards.length} cards)</summary>
<pre>${shown.join('\n')}${cards.length > shown.length ? `\n… ${cards.length - shown.length} more cards in the file` : ''}</pre>
</details>`
}
