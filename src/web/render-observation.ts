import { MISSING } from '../core/alert-text.js'
import type { ImageObservation, ImageRecord } from '../core/types.js'
import { isFitsImage, previewFactor } from './fits-images.js'
import { html, type SafeHtml } from './html.js'
import { formatDecDms, formatDegrees, formatMjd, formatRaHms } from './sky-text.js'

/**
 * What a science image's header says, as the image page and the alert page show it, and the FITS preview with
 * its cursor readout. Every value (a header's FILTER or OBJECT is anyone's text) goes through `html`.
 */

/** `<dt>`/`<dd>` pairs of the observation, for a `<dl class="facts">`. */
export function renderObservationFacts(observation: ImageObservation): SafeHtml {
  return html`<dt>Observed</dt><dd data-obs="time">${observedText(observation)}</dd>
  <dt>Filter</dt><dd data-obs="filter">${observation.filter ?? MISSING}</dd>
  <dt>Exposure</dt><dd data-obs="exposure">${observation.exposureS === null ? MISSING : `${trim(observation.exposureS)} s`}</dd>
  <dt>Field</dt><dd data-obs="field">${observation.field ?? MISSING}</dd>
  <dt>Centre</dt><dd data-obs="centre">${centreText(observation)}</dd>
  <dt>Pixel scale</dt><dd data-obs="scale">${observation.pixelScaleArcsec === null ? MISSING : `${observation.pixelScaleArcsec.toFixed(3)}″ per pixel`}</dd>
  <dt>HDU</dt><dd data-obs="hdu">${observation.hdu === 0 ? '0 (primary)' : String(observation.hdu)}</dd>`
}

/** One line for a figure caption: time, filter, exposure. */
export function observationLine(observation: ImageObservation): string {
  const parts = [
    observation.filter === null ? null : `filter ${observation.filter}`,
    observation.exposureS === null ? null : `${trim(observation.exposureS)} s`,
    observation.obsMjd === null ? null : `MJD ${formatMjd(observation.obsMjd)}`,
  ]
  return parts.filter((part) => part !== null).join(' · ')
}

function observedText(observation: ImageObservation): string {
  const utc = observation.obsTime === null ? null : utcText(observation.obsTime)
  const mjd = observation.obsMjd === null ? null : `MJD ${formatMjd(observation.obsMjd)}`
  if (utc === null && mjd === null) return MISSING
  return [utc, mjd].filter((part) => part !== null).join(' · ')
}

/** `2026-01-02 06:00:00.000 UTC`: the header's time to the millisecond. */
function utcText(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().replace('T', ' ').replace('Z', '')} UTC`
}

function centreText(observation: ImageObservation): string {
  const { centerRa: ra, centerDec: dec } = observation
  if (ra === null || dec === null) return MISSING
  return `RA ${formatDegrees(ra)} (${formatRaHms(ra)}) · Dec ${formatDegrees(dec)} (${formatDecDms(dec)})`
}

function trim(value: number): string {
  return String(Number(value.toPrecision(6)))
}

/** The preview URL of a FITS image, relative to the viewer's root. */
export function previewUrl(image: Pick<ImageRecord, 'imageId'>, root: string): string {
  return `${root}images/${image.imageId}/preview`
}

/** The image's page, relative to the viewer's root. */
export function imagePageUrl(image: Pick<ImageRecord, 'imageId'>, root: string): string {
  return `${root}images/${image.imageId}/view`
}

/**
 * The preview `<img>` of a FITS image with what viewer.js needs to turn a pointer position into a FITS pixel:
 * the image's size and the preview's shrink factor (the same one the server uses), and the readout URL.
 * Without a recorded size there is no readout (the pointer cannot be mapped).
 */
export function fitsImg(image: ImageRecord, root: string, alt: string): SafeHtml {
  const { width, height } = image
  if (width === null || height === null) return html`<img src="${previewUrl(image, root)}" alt="${alt}">`
  return html`<img src="${previewUrl(image, root)}" alt="${alt}" width="${width}" height="${height}" data-fits-pixel="${root}images/${image.imageId}/pixel" data-fits-width="${width}" data-fits-height="${height}" data-preview-factor="${previewFactor(width, height)}">`
}

/** The line the readout fills in as the pointer moves over a FITS preview. */
export function readoutLine(image: ImageRecord): SafeHtml {
  if (!isFitsImage(image) || image.width === null || image.height === null) return html``
  return html`<p class="readout" data-readout aria-live="polite">Point at the image for pixel (FITS, 1-based), value and RA/Dec.</p>`
}
