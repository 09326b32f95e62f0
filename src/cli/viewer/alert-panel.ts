import { resizeRaw, type RawImage } from '../../analysis/decode-image.js'
import { InternalError } from '../../core/errors.js'
import { alertHeadline, changedText, formatTime, headlineFacts, imageLabel, MISSING } from '../../core/alert-text.js'
import type { AlertView } from '../../core/types.js'
import { composePanels, wrapSegments, type Panel } from './compose-panels.js'
import { renderHalfBlocks } from './half-block-renderer.js'

/**
 * The picture of one alert, as the original's image event viewer showed it: the previous image of the
 * stream, the image that raised the event and the difference image, side by side under a header.
 */

/** A decoded picture, or why it cannot be shown (missing object, corrupt bytes): shown in its panel. */
export type PanelPicture = RawImage | { unavailable: string }

/** The pictures of one alert; `previous` is null for the first image of a stream. */
export interface AlertImages {
  previous: PanelPicture | null
  image: PanelPicture
  difference: PanelPicture
}

export interface RenderOptions {
  /** Terminal columns to fit: the three panels and the gaps between them. */
  width: number
  /** Most text rows a picture may take (two pixels per row); unlimited when absent. */
  maxRows?: number
}

/** Spaces between two panels. */
export const PANEL_GAP = 2
/** Narrowest panel worth drawing: below this the teddy bear is a smudge. */
export const MIN_PANEL_WIDTH = 8
/** Narrowest `width` accepted: three minimal panels and their gaps. */
export const MIN_VIEW_WIDTH = 3 * MIN_PANEL_WIDTH + 2 * PANEL_GAP

export function isRawImage(picture: PanelPicture): picture is RawImage {
  return 'data' in picture
}

/** Columns of each of the three panels for a terminal `width` columns wide. */
export function panelWidth(width: number): number {
  if (!Number.isInteger(width) || width < MIN_VIEW_WIDTH) {
    throw new InternalError(`the viewer needs a width of at least ${MIN_VIEW_WIDTH} columns, got ${width}`)
  }
  return Math.floor((width - 2 * PANEL_GAP) / 3)
}

/**
 * The largest size within `maxWidth`×`maxHeight` with the aspect ratio of `width`×`height` (scaling up
 * as well as down, so a thumbnail fills its panel), at least 1×1.
 */
export function fitWithin(width: number, height: number, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const scale = Math.min(maxWidth / width, maxHeight / height)
  return {
    width: Math.min(maxWidth, Math.max(1, Math.round(width * scale))),
    height: Math.min(maxHeight, Math.max(1, Math.round(height * scale))),
  }
}

/** A time, or {@link MISSING} for a step that has not happened. */
function timestamp(date: Date | null): string {
  return date === null ? MISSING : formatTime(date)
}

/** Captions under the three panels, in order; the words of the web page's image descriptions. */
export function captions(view: AlertView): [string, string, string] {
  const previous = view.previousImage
  return [
    previous === null ? 'no previous image' : `previous image ${imageLabel(previous)} of stream ${previous.stream}`,
    `image ${imageLabel(view.image)} of stream ${view.image.stream}`,
    'difference image',
  ]
}

/**
 * The header: what the alert is (numbers, stream, file), then what was measured and when, wrapped
 * between fields to fit `width`.
 */
export function alertHeader(view: AlertView, width: number): string[] {
  const { alert, event, image } = view
  // The headline of the web page, the log, Slack and e-mail (core/alert-text.ts), then what only the terminal adds.
  const what = [alertHeadline(headlineFacts(view)), `image event ${event.imageEventId}`, image.imageFilename]
  const measured = [
    changedText(image.changedFraction),
    `max difference ${image.maxAbsDifference ?? MISSING}`,
    `received ${timestamp(image.receivedAt)}`,
    `detected ${timestamp(event.detectedAt)}`,
    `alerted ${timestamp(alert.createdAt)}`,
  ]
  return [...wrapSegments(what, ' · ', width), ...wrapSegments(measured, ' · ', width)]
}

/** A picture as half-block rows fitted into `columns` × `maxRows` (aspect kept), or why it is unavailable. */
export async function pictureLines(picture: PanelPicture | null, columns: number, maxRows: number): Promise<string[]> {
  if (picture === null) return []
  if (!isRawImage(picture)) return wrapSegments(`unavailable: ${picture.unavailable}`.split(' '), ' ', columns)
  const size = fitWithin(picture.width, picture.height, columns, maxRows * 2)
  const scaled =
    size.width === picture.width && size.height === picture.height ? picture : await resizeRaw(picture, size.width, size.height)
  return renderHalfBlocks(scaled)
}

/**
 * Renders an alert to text: the header, a blank line, then the three pictures side by side in 24-bit
 * colour half blocks, each scaled into a third of `width` with its aspect ratio kept, captions under
 * them. Ends with a newline; needs no terminal, so tests compare strings.
 */
export async function renderAlertView(view: AlertView, images: AlertImages, options: RenderOptions): Promise<string> {
  const columns = panelWidth(options.width)
  const maxRows = options.maxRows ?? Number.MAX_SAFE_INTEGER
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new InternalError(`the pictures need at least one row, got ${maxRows}`)
  const [previousCaption, imageCaption, differenceCaption] = captions(view)
  const panels: Panel[] = [
    { lines: await pictureLines(images.previous, columns, maxRows), caption: previousCaption, width: columns },
    { lines: await pictureLines(images.image, columns, maxRows), caption: imageCaption, width: columns },
    { lines: await pictureLines(images.difference, columns, maxRows), caption: differenceCaption, width: columns },
  ]
  return `${alertHeader(view, options.width).join('\n')}\n\n${composePanels(panels, PANEL_GAP)}\n`
}
