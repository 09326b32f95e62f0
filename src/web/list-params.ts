import { isValidStreamName } from '../core/object-keys.js'
import { echoText, parsePositiveId } from './web-params.js'

/**
 * The query of the `/streams` and `/alerts` pages: a stream, a time range and a page cursor. Each value is
 * checked before it reaches the catalog; a bad one makes the page answer 400 with the reason, and the form
 * shows what was typed (shortened, and escaped like every value on a page).
 */

/** What the filter form shows: the typed text of each field. */
export interface ListForm {
  stream: string
  from: string
  to: string
}

export interface ListQuery {
  form: ListForm
  stream?: string
  since?: Date
  until?: Date
  /** `/streams`: list streams named after this one. */
  after?: string
  /** `/alerts`: list alerts numbered below this one. */
  before?: number
}

export type ListQueryResult = { ok: true; query: ListQuery } | { ok: false; reason: string; form: ListForm }

/** Characters of a stream name; a prefix may stop anywhere, so it need not be a whole valid name. */
const STREAM_PREFIX = /^[A-Za-z0-9._-]{1,64}$/

/** Longest `after` cursor: the stream column is varchar(64). */
const MAX_CURSOR = 64

const STREAM_NAME_RULE = '1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'

/**
 * `YYYY-MM-DD`, or with a time `THH:MM[:SS[.fff]]` (a space also separates them, as people type it), and an
 * optional `Z` or `±HH:MM`. Without a zone the time is UTC, like every time the viewer shows.
 */
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?(Z|[+-]\d{2}:\d{2})?$/

/**
 * An instant from a `from`/`to` field, or a reason it is not one. A date alone is the start of that day (UTC);
 * as the end of a range (`end`) it means the whole day, so the range runs to the start of the next.
 */
export function parseTimeField(text: string, end: boolean): Date | string {
  const match = TIME.exec(text)
  if (match === null) return 'write a time as 2026-12-07 or 2026-12-07T14:30 (UTC unless a zone such as +01:00 follows)'
  const [, year, month, day, hour, minute, second, fraction, zone] = match
  const parts = [year, month, day, hour ?? '0', minute ?? '0', second ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const [y, mo, d, h, mi, s] = parts
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, fraction === undefined ? 0 : Math.round(Number(fraction) * 1000))
  const check = new Date(utc)
  // Date.UTC rolls 2026-02-30 over into March: a date that does not come back unchanged does not exist.
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return 'no such date or time'
  }
  let offsetMinutes = 0
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    const [zoneHours, zoneMinutes] = zone.slice(1).split(':').map(Number) as [number, number]
    if (zoneHours > 23 || zoneMinutes > 59) return 'no such time zone offset'
    offsetMinutes = sign * (zoneHours * 60 + zoneMinutes)
  }
  const dayOnly = hour === undefined
  return new Date(utc - offsetMinutes * 60_000 + (end && dayOnly ? 86_400_000 : 0))
}

/** A single text value of the query: '' when absent; null when repeated or not text. */
function single(raw: unknown): string | null {
  if (raw === undefined) return ''
  if (typeof raw !== 'string') return null
  return raw.trim()
}

/**
 * Parses the page's query. `streamMatch` says what `stream` is: a name prefix (`/streams`) or one stream's exact
 * name (`/alerts`); `cursor` which paging parameter the page takes.
 */
export function parseListQuery(
  query: Record<string, unknown>,
  options: { streamMatch: 'prefix' | 'exact'; cursor: 'after' | 'before' },
): ListQueryResult {
  const fields = { stream: single(query['stream']), from: single(query['from']), to: single(query['to']) }
  const form: ListForm = {
    stream: echoText(fields.stream ?? ''),
    from: echoText(fields.from ?? ''),
    to: echoText(fields.to ?? ''),
  }
  const fail = (reason: string): ListQueryResult => ({ ok: false, reason, form })
  for (const [name, value] of Object.entries(fields)) if (value === null) return fail(`give ${name} once`)
  const result: ListQuery = { form }

  const stream = fields.stream ?? ''
  if (stream !== '') {
    const valid = options.streamMatch === 'prefix' ? STREAM_PREFIX.test(stream) : isValidStreamName(stream)
    if (!valid) return fail(`not a stream name: ${STREAM_NAME_RULE}`)
    result.stream = stream
  }
  for (const [name, end] of [
    ['from', false],
    ['to', true],
  ] as const) {
    const text = fields[name] ?? ''
    if (text === '') continue
    const time = parseTimeField(text, end)
    if (typeof time === 'string') return fail(`${name}: ${time}`)
    if (end) result.until = time
    else result.since = time
  }
  if (result.since !== undefined && result.until !== undefined && result.since >= result.until) {
    return fail('from must be before to')
  }

  const cursor = single(query[options.cursor])
  if (cursor === null) return fail(`give ${options.cursor} once`)
  if (cursor !== '') {
    if (options.cursor === 'after') {
      // Any name the catalog holds, not only names imgpipe would give: rows written by the original's client may
      // have others, and the page after such a stream must still open. It is only ever a bound parameter.
      if ([...cursor].length > MAX_CURSOR) return fail(`after: a stream name is at most ${MAX_CURSOR} characters`)
      result.after = cursor
    } else {
      const before = parsePositiveId(cursor)
      if (before === null) return fail('before: an alert number is a whole number of 1 or more')
      result.before = before
    }
  }
  return { ok: true, query: result }
}

/** The query string of a page with these filters (and a cursor), for pager links: `?stream=a&from=…`, or ''. */
export function listHref(query: Pick<ListQuery, 'form'>, cursor?: { name: 'after' | 'before'; value: string }): string {
  const params = new URLSearchParams()
  for (const name of ['stream', 'from', 'to'] as const) if (query.form[name] !== '') params.set(name, query.form[name])
  if (cursor !== undefined) params.set(cursor.name, cursor.value)
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}
