import {
  alertHeadline,
  alertSubject,
  escapeHtml,
  formatEventType,
  formatLocalTime,
  formatPercent,
  imageLabel,
} from '../../core/alert-text.js'
import type { AlertImage, AlertItem, AlertPayload } from '../../core/ports/delivery-channel.js'

/** An alert e-mail's subject and its two parts, before nodemailer wraps them in MIME. */
export interface AlertMail {
  subject: string
  text: string
  html: string
}

export interface AlertMailOptions {
  /** IANA zone of the times shown (IMGPIPE_TIME_ZONE). */
  timeZone: string
}

/** What a test message says first, in both parts. */
export const TEST_NOTICE =
  'TEST MESSAGE sent by `imgpipe subscription test` to check this subscription: the alert below is a sample (the latest alert again, or a made-up one); nothing new was detected.'

/** Shown instead of the viewer link when the delivering process has no IMGPIPE_PUBLIC_URL. */
export const NO_LINK_NOTICE =
  'No link to the viewer: IMGPIPE_PUBLIC_URL is not set where imgpipe delivers alerts. Set it to the viewer’s public address to get one.'

const ROLE_CAPTIONS: Record<AlertImage['role'], string> = { previous: 'previous image', image: 'image', difference: 'difference' }

/** The `cid:` of an alert's image, the same in the attachment and the HTML part. */
export function imageCid(image: Pick<AlertImage, 'role' | 'alertNum'>): string {
  return `${image.role}-${image.alertNum}@imgpipe`
}

/** The facts of one alert, label and value, in the order both parts show them. */
function facts(item: AlertItem, options: AlertMailOptions): Array<[string, string]> {
  return [
    ['Stream', item.stream],
    ['Image', `${imageLabel(item)} (${item.imageFilename})`],
    ['Event', formatEventType(item.eventType)],
    ['Changed pixels', formatPercent(item.changedFraction)],
    ['Detected', formatLocalTime(new Date(item.detectedAt), options.timeZone)],
  ]
}

function textOf(payload: AlertPayload, options: AlertMailOptions): string {
  const blocks = payload.alerts.map((item) => {
    const lines = [alertHeadline(item), ...facts(item, options).map(([label, value]) => `  ${`${label}:`.padEnd(16)}${value}`)]
    if (item.links.alertPage === undefined) lines.push(`  ${NO_LINK_NOTICE}`)
    else {
      lines.push(`  ${'Viewer:'.padEnd(16)}${item.links.alertPage}`)
      for (const [name, link] of [
        ['previous image', item.links.previousImage],
        ['image', item.links.image],
        ['difference', item.links.difference],
      ] as const) {
        if (link !== undefined) lines.push(`  ${`${name}:`.padEnd(16)}${link}`)
      }
    }
    return lines.join('\n')
  })
  const head = payload.test === true ? [TEST_NOTICE] : []
  return [...head, ...blocks, `Sent by imgpipe to subscription ${payload.subscription} (delivery ${payload.deliveryId}).`].join('\n\n')
}

// Inline styles only: several mail clients drop <style> elements or rewrite their selectors.
const STYLE = {
  body: "margin:0;padding:24px 12px;background:#f3f4f6;color:#111827;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5",
  card: 'max-width:640px;margin:0 auto 16px;background:#ffffff;border:1px solid #e5e7eb;border-radius:8px;padding:20px 24px',
  test: 'max-width:640px;margin:0 auto 16px;background:#fef3c7;border:2px solid #d97706;border-radius:8px;padding:12px 24px;color:#78350f;font-weight:bold',
  heading: 'margin:0 0 12px;font-size:18px;font-weight:600;color:#111827',
  badge:
    'display:inline-block;margin-left:8px;padding:2px 8px;border-radius:999px;background:#fee2e2;color:#991b1b;font-size:13px;font-weight:600',
  label: 'padding:4px 16px 4px 0;color:#6b7280;font-weight:normal;text-align:left;vertical-align:top;white-space:nowrap',
  value: 'padding:4px 0;color:#111827',
  figure: 'padding:12px 8px 0 0;vertical-align:top;font-size:12px;color:#6b7280;text-align:center',
  image: 'display:block;width:192px;max-width:100%;height:auto;border:1px solid #e5e7eb;border-radius:4px;image-rendering:pixelated',
  button:
    'display:inline-block;margin-top:16px;padding:10px 16px;background:#2563eb;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600',
  note: 'margin:16px 0 0;color:#6b7280',
  footer: 'max-width:640px;margin:0 auto;color:#6b7280;font-size:12px;text-align:center',
}

function cardOf(item: AlertItem, images: AlertImage[], options: AlertMailOptions): string {
  const rows = facts(item, options)
    .map(
      ([label, value]) =>
        `<tr><th style="${STYLE.label}">${escapeHtml(label)}</th><td style="${STYLE.value}">${escapeHtml(value)}</td></tr>`,
    )
    .join('')
  const figures = images
    .filter((image) => image.alertNum === item.alertNum)
    .map(
      (image) =>
        `<td style="${STYLE.figure}"><img src="cid:${escapeHtml(imageCid(image))}" alt="${escapeHtml(ROLE_CAPTIONS[image.role])}" width="192" style="${STYLE.image}"><br>${escapeHtml(ROLE_CAPTIONS[image.role])}</td>`,
    )
    .join('')
  const link =
    item.links.alertPage === undefined
      ? `<p style="${STYLE.note}">${escapeHtml(NO_LINK_NOTICE)}</p>`
      : `<a href="${escapeHtml(item.links.alertPage)}" style="${STYLE.button}">Open alert ${item.alertNum} in the viewer</a>`
  return [
    `<div style="${STYLE.card}">`,
    `<h2 style="${STYLE.heading}">Alert ${item.alertNum}<span style="${STYLE.badge}">${escapeHtml(formatPercent(item.changedFraction))} changed</span></h2>`,
    `<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse">${rows}</table>`,
    figures === ''
      ? ''
      : `<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse"><tr>${figures}</tr></table>`,
    link,
    '</div>',
  ].join('')
}

function htmlOf(subject: string, payload: AlertPayload, images: AlertImage[], options: AlertMailOptions): string {
  const test = payload.test === true ? `<div style="${STYLE.test}">${escapeHtml(TEST_NOTICE)}</div>` : ''
  const cards = payload.alerts.map((item) => cardOf(item, images, options)).join('')
  const footer = `<p style="${STYLE.footer}">Sent by imgpipe to subscription ${escapeHtml(payload.subscription)} (delivery ${escapeHtml(payload.deliveryId)}).</p>`
  return [
    '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${escapeHtml(subject)}</title></head>`,
    `<body style="${STYLE.body}">${test}${cards}${footer}</body></html>`,
  ].join('')
}

/**
 * An alert (or digest) as e-mail: a card per alert in the HTML part (stream, image, event, changed
 * pixels, the local time in the configured zone, the images inline, the viewer link or why there is
 * none), and the same facts in the plain-text part. Every value from the catalog is escaped in HTML.
 */
export function alertMail(payload: AlertPayload, images: AlertImage[], options: AlertMailOptions): AlertMail {
  const subject = alertSubject(payload.alerts, payload.test === true)
  return { subject, text: textOf(payload, options), html: htmlOf(subject, payload, images, options) }
}
