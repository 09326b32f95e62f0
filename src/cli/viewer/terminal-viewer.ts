import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { decodeImage, type ImageLimits } from '../../analysis/decode-image.js'
import { describeError, isImgpipeError, NotFoundError } from '../../core/errors.js'
import type { CatalogReports } from '../../core/ports/catalog-reports.js'
import type { ObjectStore } from '../../core/ports/object-store.js'
import type { AlertView } from '../../core/types.js'
import { safeStrings, safeText } from '../terminal-text.js'
import type { ObjectLedger } from '../../core/ports/object-ledger.js'
import type { ScienceLedger } from '../../core/ports/science-ledger.js'
import { isFitsImage } from '../../web/fits-images.js'
import { mostSignificant, stampsOf, type StampKind } from '../../web/web-science.js'
import { renderAlertView, type AlertImages, type PanelPicture } from './alert-panel.js'
import { renderDetectionStamps } from './stamp-panel.js'

/**
 * The terminal image event viewer: reads the catalog and the object store directly (no broker, no web
 * server), shows one alert, and in interactive mode keeps asking for the next alert number.
 */

/** Where the viewer reads from. */
export interface ViewerBackends {
  catalog: Pick<CatalogReports, 'getAlertView'>
  store: ObjectStore
  /** Decoding limits from the config: stored objects are read as untrusted as incoming ones. */
  limits: ImageLimits
  /** Difference imaging's detections and derivative rows: an alert with detections shows its stamps. */
  science?: {
    detections: Pick<ObjectLedger, 'detectionsOfEvents'>
    ledger: Pick<ScienceLedger, 'listDerivatives'>
  }
}

export interface ViewOptions {
  /** Terminal columns the three pictures share. */
  width: number
  /** Most text rows per picture; unlimited when absent. */
  maxRows?: number
  /** Print the AlertView as JSON instead of pictures. */
  json: boolean
}

export const PROMPT = 'alert number (q to quit): '

/** The alert, or NotFoundError with the message users (and scripts) see. */
export async function loadAlertView(catalog: Pick<CatalogReports, 'getAlertView'>, alertNumber: number): Promise<AlertView> {
  const view = await catalog.getAlertView(alertNumber)
  if (view === null) throw new NotFoundError(`no image event for alert ${alertNumber}`)
  return view
}

/**
 * One stored image, decoded; a missing or unreadable object becomes the reason shown in its panel
 * rather than failing the whole alert. An unreachable store still throws: that is not about the image.
 */
export async function loadPicture(store: ObjectStore, key: string, limits: ImageLimits): Promise<PanelPicture> {
  try {
    return await decodeImage(await store.get(key), limits)
  } catch (error) {
    if (
      isImgpipeError(error, 'IMGPIPE_OBJECT_NOT_FOUND', 'IMGPIPE_OBJECT_KEY_INVALID', 'IMGPIPE_IMAGE_INVALID', 'IMGPIPE_IMAGE_TOO_LARGE')
    ) {
      return { unavailable: safeText(describeError(error)) }
    }
    throw error
  }
}

/** The three pictures of an alert, read and decoded in parallel. */
export async function loadAlertImages(store: ObjectStore, view: AlertView, limits: ImageLimits): Promise<AlertImages> {
  const [previous, image, difference] = await Promise.all([
    view.previousImage === null ? null : loadPicture(store, view.previousImage.imageObjectKey, limits),
    loadPicture(store, view.image.imageObjectKey, limits),
    view.event.differenceImageObjectKey === null
      ? { unavailable: 'the difference image is still being stored' }
      : loadPicture(store, view.event.differenceImageObjectKey, limits),
  ])
  return { previous, image, difference }
}

/** What to print for an alert: its pictures, or its AlertView as JSON. Throws NotFoundError for an unknown number. */
export async function showAlert(backends: ViewerBackends, alertNumber: number, options: ViewOptions): Promise<string> {
  const view = await loadAlertView(backends.catalog, alertNumber)
  if (options.json) return `${JSON.stringify(view, null, 2)}\n`
  const images = await loadAlertImages(backends.store, view, backends.limits)
  const size = options.maxRows === undefined ? { width: options.width } : { width: options.width, maxRows: options.maxRows }
  // File and stream names are anyone's text: the header must not carry their escape sequences to the terminal.
  const alert = await renderAlertView(safeStrings(view), images, size)
  // Difference imaging runs on FITS images only: a camera's alert costs no further queries.
  if (backends.science === undefined || !isFitsImage(view.image)) return alert
  return alert + (await detectionText(backends, backends.science, view, size))
}

/** The most significant detection's measurement and stamps, after a blank line; '' for an event without any. */
async function detectionText(
  backends: ViewerBackends,
  science: NonNullable<ViewerBackends['science']>,
  view: AlertView,
  size: { width: number; maxRows?: number },
): Promise<string> {
  const eventId = view.event.imageEventId
  const detections = (await science.detections.detectionsOfEvents([eventId])).get(eventId) ?? []
  const best = mostSignificant(detections)
  if (best === null) return ''
  const stamps = stampsOf(await science.ledger.listDerivatives(view.event.imageEventId), best.sourceId)
  const load = (kind: StampKind): Promise<PanelPicture | null> => {
    const png = stamps[kind].png
    return png === null ? Promise.resolve(null) : loadPicture(backends.store, png.objectKey, backends.limits)
  }
  const [scienceStamp, reference, difference] = await Promise.all([load('science'), load('reference'), load('difference')])
  const position = { number: detections.indexOf(best) + 1, total: detections.length }
  return `\n${await renderDetectionStamps(safeStrings(best), position, { science: scienceStamp, reference, difference }, size)}`
}

/** A parsed answer to {@link PROMPT}. */
export type PromptAnswer = { kind: 'quit' } | { kind: 'alert'; alertNumber: number } | { kind: 'invalid'; message: string }

const QUIT_WORDS: ReadonlySet<string> = new Set(['', 'q', 'quit', 'exit'])

export function parsePromptAnswer(answer: string): PromptAnswer {
  const text = answer.trim()
  if (QUIT_WORDS.has(text.toLowerCase())) return { kind: 'quit' }
  const value = Number(text)
  if (/^\d+$/.test(text) && value >= 1 && Number.isSafeInteger(value)) return { kind: 'alert', alertNumber: value }
  const shown = text.length > 40 ? `${text.slice(0, 39)}…` : text
  return { kind: 'invalid', message: `not an alert number: ${JSON.stringify(shown)} (a positive integer, or q to quit)` }
}

export interface InteractiveOptions {
  backends: ViewerBackends
  view: ViewOptions
  input: Readable
  output: Writable
  /** An alert to show before the first prompt. */
  first?: number
  /** Aborting it (SIGTERM, or SIGINT when the input is not a terminal) ends the viewer like `q`. */
  signal?: AbortSignal
}

/**
 * Shows `first` (if any), then prompts for alert numbers until `q`, an empty answer, end of input or
 * Ctrl-C. Unknown numbers, invalid answers and failures of one alert (a catalog that went away) print
 * one line and prompt again; only a bug ends the loop with an error.
 */
export async function runInteractiveViewer(options: InteractiveOptions): Promise<void> {
  const { input, output, backends, view } = options
  const terminal = (input as { isTTY?: boolean }).isTTY === true && (output as { isTTY?: boolean }).isTTY === true
  const reader = createInterface({ input, output, terminal, prompt: PROMPT })
  // Taken at once, so that lines typed while the first alert loads are buffered, not dropped.
  const lines = reader[Symbol.asyncIterator]()
  // Readline closes itself at the end of the input; lines read before that are still answered.
  let inputEnded = false
  reader.once('close', () => {
    inputEnded = true
  })
  // Ctrl-C or the stop signal: quit at once, without answering what is buffered.
  let stopped = false
  const close = (): void => {
    stopped = true
    reader.close()
  }
  // In terminal mode Ctrl-C arrives as input, not as a signal: it quits, like `q`.
  reader.on('SIGINT', close)
  options.signal?.addEventListener('abort', close, { once: true })
  if (options.signal?.aborted === true) close()

  const show = async (alertNumber: number): Promise<void> => {
    try {
      output.write(await showAlert(backends, alertNumber, view))
    } catch (error) {
      if (isImgpipeError(error, 'IMGPIPE_NOT_FOUND')) output.write(`${error.message}\n`)
      else if (isImgpipeError(error)) output.write(`imgpipe: ${safeText(describeError(error))} [${error.code}]\n`)
      else throw error
    }
  }

  let quit = false
  try {
    if (options.first !== undefined && !stopped) await show(options.first)
    while (!stopped) {
      // A closed readline refuses to prompt, but a line it read before the end of the input still gets one.
      if (inputEnded) output.write(PROMPT)
      else reader.prompt()
      const next = await lines.next()
      if (next.done === true || stopped) break
      const answer = parsePromptAnswer(String(next.value))
      if (answer.kind === 'quit') {
        quit = true
        break
      }
      if (answer.kind === 'invalid') output.write(`${answer.message}\n`)
      else await show(answer.alertNumber)
    }
  } finally {
    options.signal?.removeEventListener('abort', close)
    reader.close()
    // After Ctrl-C or the end of the input the cursor still follows the prompt: leave the shell a clean line.
    if (!quit) output.write('\n')
  }
}
