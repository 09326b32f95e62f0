import type { AlertView } from '../core/types.js'

/**
 * Links of one alert, relative to the document they appear in (`base` leads from that document's
 * directory to the viewer's root: '' for root-level documents, '../' for `/api/alerts`, '../../' for
 * `/api/alerts/3`). Relative links keep the viewer working behind a reverse proxy under any host, port
 * or path prefix.
 */
export interface AlertUrls {
  page: string
  image: string
  imageDownload: string
  previousImage: string | null
  previousImageDownload: string | null
  difference: string
  differenceDownload: string
}

export function alertUrls(view: AlertView, base = ''): AlertUrls {
  const previous = view.previousImage
  return {
    page: `${base === '' ? './' : base}?alert_num=${view.alert.imageEventAlertId}`,
    image: imageUrl(view.image.imageId, base),
    imageDownload: `${imageUrl(view.image.imageId, base)}?download=1`,
    previousImage: previous === null ? null : imageUrl(previous.imageId, base),
    previousImageDownload: previous === null ? null : `${imageUrl(previous.imageId, base)}?download=1`,
    difference: differenceUrl(view.event.imageEventId, base),
    differenceDownload: `${differenceUrl(view.event.imageEventId, base)}?download=1`,
  }
}

export function imageUrl(imageId: number, base = ''): string {
  return `${base}images/${imageId}`
}

export function differenceUrl(imageEventId: number, base = ''): string {
  return `${base}difference/${imageEventId}`
}

/** An alert as the JSON API and the event stream give it: the AlertView, its number, and its links. */
export interface AlertJson extends AlertView {
  number: number
  urls: AlertUrls
}

export function alertJson(view: AlertView, base = ''): AlertJson {
  return { number: view.alert.imageEventAlertId, ...view, urls: alertUrls(view, base) }
}
