import type { AlertFacts, AlertFilter } from '../../core/ports/subscriptions.js'

/** `*` any run of characters, `?` one character; everything else literal. Whole-name match. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('')
  return new RegExp(`^${body}$`, 'u')
}

/**
 * Whether a subscription with this filter wants an alert. Every criterion given must hold: a stream
 * (exact or glob), an event type, a minimum changed fraction. The digest interval does not filter: it
 * decides when the alert is sent (see DeliveryLedger.recordAlerts).
 */
export function matchesFilter(filter: AlertFilter, facts: AlertFacts): boolean {
  if (filter.streams !== undefined && !filter.streams.some((glob) => globToRegExp(glob).test(facts.stream))) return false
  if (filter.eventTypes !== undefined && !filter.eventTypes.includes(facts.eventType)) return false
  if (filter.minChangedFraction !== undefined && (facts.changedFraction ?? 0) < filter.minChangedFraction) return false
  return true
}
