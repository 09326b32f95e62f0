/**
 * Parsing of what a visitor types or puts in a URL. Nothing here trusts its input: query values may be
 * missing, repeated (an array), empty or anything at all, and ids become numbers only when they are
 * plain positive integers that a database id can hold.
 */

/** Largest number of alerts one page or API call returns, whatever `limit` asks for. */
export const MAX_PAGE_SIZE = 100
/** Alerts in the page's recent-alerts list and in `/api/alerts` without `limit`. */
export const DEFAULT_PAGE_SIZE = 20

/** Longest slice of rejected input echoed back; the rest is elided so a huge query cannot bloat the page. */
const ECHO_LIMIT = 80

/** A positive integer that fits a JavaScript number exactly, from a string of ASCII digits; null otherwise. */
export function parsePositiveId(text: string): number | null {
  if (!/^\d{1,16}$/.test(text)) return null
  const value = Number(text)
  return value >= 1 && Number.isSafeInteger(value) ? value : null
}

export type AlertNumberInput = { kind: 'absent' } | { kind: 'invalid'; text: string; reason: string } | { kind: 'valid'; number: number }

/**
 * The form's `alert_num`: absent when not in the query at all; otherwise a positive integer (surrounding
 * spaces forgiven, as people paste them) or invalid, with the typed text kept for the message.
 */
export function parseAlertNumber(raw: unknown): AlertNumberInput {
  if (raw === undefined) return { kind: 'absent' }
  if (Array.isArray(raw)) {
    return { kind: 'invalid', text: raw.map(String).join(', '), reason: 'give a single alert number' }
  }
  const text = String(raw)
  const trimmed = text.trim()
  if (trimmed === '') return { kind: 'invalid', text, reason: 'enter an alert number' }
  const number = parsePositiveId(trimmed)
  if (number === null) return { kind: 'invalid', text, reason: 'an alert number is a whole number of 1 or more' }
  return { kind: 'valid', number }
}

/** The rejected text as shown to the user: at most {@link ECHO_LIMIT} characters. */
export function echoText(text: string): string {
  const characters = [...text]
  return characters.length <= ECHO_LIMIT ? text : `${characters.slice(0, ECHO_LIMIT).join('')}…`
}

/**
 * An optional positive integer query parameter (`before`): undefined when absent or empty, null when
 * present but not a positive integer.
 */
export function parseOptionalId(raw: unknown): number | undefined | null {
  if (raw === undefined || raw === '') return undefined
  if (typeof raw !== 'string') return null
  return parsePositiveId(raw)
}

/** `limit`: the default when absent, capped at {@link MAX_PAGE_SIZE}; null when not a positive integer. */
export function parseLimit(raw: unknown, fallback = DEFAULT_PAGE_SIZE): number | null {
  const value = parseOptionalId(raw)
  if (value === undefined) return fallback
  if (value === null) return null
  return Math.min(value, MAX_PAGE_SIZE)
}
