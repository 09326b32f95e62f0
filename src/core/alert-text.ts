import type { ImageRecord } from './types.js'

/**
 * How an alert's facts are written for people, shared by the web page, the terminal viewer, the log, Slack and
 * e-mail so that they say the same thing the same way: the headline, the subject, the percent, and the two
 * escapers (HTML for the web page and the mail, mrkdwn for Slack). The texts are plain; each medium escapes
 * them with the escaper here (the terminal sanitises them). Times are UTC with the zone spelled out, since the
 * stages may run in other zones than the reader; e-mail adds the local time of a configured zone
 * ({@link formatLocalTime}).
 */

/** What is shown for a metric or time that was not measured (e.g. an image that failed to decode). */
export const MISSING = '—'

/** `7` (the image number in its stream), `7 (id 12)` when the database id differs, `id 12` without a number. */
export function imageLabel(image: Pick<ImageRecord, 'imageNum' | 'imageId'>): string {
  if (image.imageNum === null) return `id ${image.imageId}`
  return image.imageNum === image.imageId ? String(image.imageNum) : `${image.imageNum} (id ${image.imageId})`
}

/** What an alert's headline names: an `AlertItem` of a delivery, or {@link headlineFacts} of a view. */
export interface HeadlineFacts {
  alertNum: number
  eventType: string
  stream: string
  imageNum: number | null
  imageId: number
}

/** The headline's facts of an alert read from the catalog. */
export function headlineFacts(view: {
  alert: { imageEventAlertId: number }
  event: { eventType: string }
  image: Pick<ImageRecord, 'stream' | 'imageNum' | 'imageId'>
}): HeadlineFacts {
  const { stream, imageNum, imageId } = view.image
  return { alertNum: view.alert.imageEventAlertId, eventType: view.event.eventType, stream, imageNum, imageId }
}

/** `Alert 7: changed on stream cam-a, image 7`: the first line of the alert page, the log, Slack and each mail card. */
export function alertHeadline(facts: HeadlineFacts): string {
  return `Alert ${facts.alertNum}: ${formatEventType(facts.eventType)} on stream ${facts.stream}, image ${imageLabel(facts)}`
}

/** `12.3% of pixels changed`. */
export function changedText(fraction: number | null): string {
  return `${formatPercent(fraction)} of pixels changed`
}

/**
 * A message's subject (e-mail): `[imgpipe] Alert 7: changed on stream cam-a, image 7 (12.3% changed)`, or
 * `[imgpipe] 3 alerts (digest)`; `TEST: ` after the tag for a message of `imgpipe subscription test`.
 */
export function alertSubject(alerts: ReadonlyArray<HeadlineFacts & { changedFraction: number | null }>, test = false): string {
  const marker = test ? 'TEST: ' : ''
  const only = alerts.length === 1 ? alerts[0] : undefined
  if (only === undefined) return `[imgpipe] ${marker}${alerts.length} alerts (digest)`
  return `[imgpipe] ${marker}${alertHeadline(only)} (${formatPercent(only.changedFraction)} changed)`
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** The HTML escaper (web pages and mail): the five characters that matter in element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character)
}

/**
 * The Slack mrkdwn escaper: `&`, `<` and `>` are the only characters Slack asks to escape; without it a stream
 * named `<!channel>` would notify a whole channel.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** `changed` → `changed`, `size_changed` → `size changed`. */
export function formatEventType(eventType: string): string {
  return eventType.replace(/_/g, ' ')
}

/** `2025-06-01 12:34:56 UTC` */
export function formatTime(date: Date): string {
  return `${date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$|Z$/, '')} UTC`
}

/** The zone this process runs in (`TZ`, else the system's), as an IANA name: `Europe/Berlin`, `UTC`. */
export function machineTimeZone(): string {
  return new Intl.DateTimeFormat('en-US').resolvedOptions().timeZone
}

/** Whether Intl knows `zone` as a time zone (an IANA name such as `Europe/Berlin`, or `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

const localTimeFormats = new Map<string, Intl.DateTimeFormat>()

/**
 * `2026-07-01 02:00:00 Europe/Berlin (UTC+02:00)`, `2026-07-01 00:00:00 UTC`: the time in `timeZone`, named
 * with its offset at that instant, for readers (e-mail) who think in their own zone rather than UTC.
 */
export function formatLocalTime(date: Date, timeZone: string): string {
  let format = localTimeFormats.get(timeZone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      timeZoneName: 'longOffset',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    localTimeFormats.set(timeZone, format)
  }
  const part = Object.fromEntries(format.formatToParts(date).map(({ type, value }) => [type, value])) as Record<string, string>
  const time = `${part['year']}-${part['month']}-${part['day']} ${part['hour']}:${part['minute']}:${part['second']}`
  // The zone as configured: ICU would rename some (Asia/Kolkata → Asia/Calcutta).
  if (format.resolvedOptions().timeZone === 'UTC') return `${time} UTC`
  const zone = timeZone
  // Intl writes the offset as `GMT+02:00`, and plain `GMT` for an offset of zero.
  const offset = (part['timeZoneName'] ?? 'GMT').replace(/^GMT$/, 'GMT+00:00').replace(/^GMT/, 'UTC')
  return `${time} ${zone} (${offset})`
}

const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })

/** 12,345.7 — or {@link MISSING}. */
export function formatDecimal(value: number | null): string {
  return value === null ? MISSING : decimal.format(value)
}

/**
 * The one percent format of every page, mail, Slack message and terminal panel: one decimal (0.1234 → `12.3%`),
 * `<0.1%` for a change too small to show as 0.1 % but not none, `>99.9%` just short of all — or {@link MISSING}.
 */
export function formatPercent(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return MISSING
  const percent = fraction * 100
  if (percent > 0 && percent < 0.05) return '<0.1%'
  if (percent < 100 && percent >= 99.95) return '>99.9%'
  return `${percent.toFixed(1)}%`
}

/** 0.1234 → 12.3: the number {@link formatPercent} shows, for structured output (logs, JSON). */
export function percentOf(fraction: number | null): number | null {
  return fraction === null ? null : Math.round(fraction * 1000) / 10
}

/** 183 → `183 / 255` — or {@link MISSING}. */
export function formatChannelDifference(value: number | null): string {
  return value === null ? MISSING : `${value} / 255`
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/**
 * Byte counts in binary units: `1023 B`, `1.0 KiB`, `12.3 MiB` — or {@link MISSING}. `space` goes between
 * number and unit: the web page passes a no-break space so the unit never wraps away from its number.
 */
export function formatBytes(bytes: number | null, space = ' '): string {
  if (bytes === null) return MISSING
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0 ? `${value}${space}B` : `${value.toFixed(1)}${space}${BYTE_UNITS[unit]}`
}
