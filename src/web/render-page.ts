import type { StreamSummary } from '../core/ports/catalog.js'
import type { AlertView } from '../core/types.js'
import { html, type SafeHtml } from './html.js'
import { renderAlert } from './render-alert.js'
import { renderAlertList, type AlertListOptions } from './render-alert-list.js'
import { renderDeliveries, type DeliveryStatusJson } from './render-deliveries.js'
import { renderDocument, renderMessage, type AssetVersions } from './render-layout.js'
import { renderHomeStreams } from './render-streams.js'
import { echoText } from './web-params.js'
import type { AlertScience } from './web-science.js'

/** What the viewer page shows in its main column. */
export type ViewerContent =
  | { kind: 'intro'; streams: readonly StreamSummary[]; hasMoreStreams: boolean }
  | { kind: 'invalid'; text: string; reason: string }
  | { kind: 'unknown'; number: number }
  | { kind: 'alert'; view: AlertView; deliveries?: readonly DeliveryStatusJson[]; science?: AlertScience }
  | { kind: 'unavailable'; reason: string }

export interface ViewerPage {
  content: ViewerContent
  /** Null when the list could not be read (the main column says why). */
  list: AlertListOptions | null
  assets: AssetVersions
}

/** The viewer page at `/`: lookup form, the alert (or a message), the recent alerts. */
export function renderViewerPage(page: ViewerPage): SafeHtml {
  const { content } = page
  return renderDocument({
    title: titleOf(content),
    root: './',
    assets: page.assets,
    section: 'home',
    typed: typedOf(content),
    main: renderMain(content),
    aside: page.list === null ? undefined : renderAlertList(page.list),
  })
}

function titleOf(content: ViewerContent): string {
  switch (content.kind) {
    case 'alert':
      return `Alert ${content.view.alert.imageEventAlertId} · imgpipe image event viewer`
    case 'unknown':
      return `No alert ${content.number} · imgpipe image event viewer`
    default:
      return 'imgpipe image event viewer'
  }
}

function typedOf(content: ViewerContent): string {
  switch (content.kind) {
    case 'alert':
      return String(content.view.alert.imageEventAlertId)
    case 'unknown':
      return String(content.number)
    case 'invalid':
      // Echoed back shortened: a megabyte of query must not become a megabyte of page.
      return echoText(content.text)
    default:
      return ''
  }
}

function renderMain(content: ViewerContent): SafeHtml {
  switch (content.kind) {
    case 'alert':
      return html`${renderAlert(content.view, content.deliveries, content.science)}${renderDeliveries(content.deliveries)}`
    case 'invalid':
      return html`<section class="panel">${renderMessage(
        'error',
        html`<p><strong>Not an alert number:</strong> <span class="typed" data-typed>${echoText(content.text)}</span></p><p>${capitalize(content.reason)}, e.g. 1.</p>`,
      )}${intro()}</section>`
    case 'unknown':
      return html`<section class="panel">${renderMessage(
        'error',
        html`<p>No image event for alert ${content.number}.</p><p>Pick one from the recent alerts.</p>`,
      )}</section>`
    case 'unavailable':
      return html`<section class="panel">${renderMessage(
        'error',
        html`<p><strong>The catalog database does not answer.</strong> Try again in a moment.</p><p>${content.reason}</p>`,
      )}</section>`
    case 'intro':
      return renderHomeStreams(content.streams, content.hasMoreStreams, './')
  }
}

function intro(): SafeHtml {
  return html`<div class="intro">
<h1>Image event viewer</h1>
<p>Enter an image event alert number to see the image event behind it: the previous image of the stream, the image, and their difference image, with the event's metrics.</p>
<p>New alerts appear in the list as the pipeline records them.</p>
</div>`
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
