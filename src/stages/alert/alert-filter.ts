import type { AlertFacts, AlertFilter, DetectionFacts } from '../../core/ports/subscriptions.js'

/** `*` any run of characters, `?` one character; everything else literal. Whole-name match. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('')
  return new RegExp(`^${body}$`, 'u')
}

/** Which detection facts a set of filters looks at: the alert stage reads only those. */
export interface FactNeeds {
  detections: boolean
  watchlists: boolean
  mag: boolean
  priorDetections: boolean
}

export function factNeeds(filters: readonly AlertFilter[]): FactNeeds {
  const needs = { detections: false, watchlists: false, mag: false, priorDetections: false }
  for (const filter of filters) {
    if (hasDetectionCriterion(filter)) needs.detections = true
    if (filter.watchlists !== undefined) needs.watchlists = true
    if (filter.maxMag !== undefined) needs.mag = true
    if (filter.minDetections !== undefined) needs.priorDetections = true
  }
  return needs
}

function hasDetectionCriterion(filter: AlertFilter): boolean {
  return (
    filter.watchlists !== undefined ||
    filter.minSnr !== undefined ||
    filter.minFlux !== undefined ||
    filter.maxMag !== undefined ||
    filter.minRealBogus !== undefined ||
    filter.minDetections !== undefined
  )
}

/** Whether one detection meets every detection criterion of the filter. */
function detectionMatches(filter: AlertFilter, detection: DetectionFacts): boolean {
  if (filter.watchlists !== undefined && !filter.watchlists.some((name) => detection.watchlists.includes(name))) return false
  if (filter.minSnr !== undefined && !(Math.abs(detection.snr) >= filter.minSnr)) return false
  if (filter.minFlux !== undefined && !(Math.abs(detection.psfFlux) >= filter.minFlux)) return false
  if (filter.maxMag !== undefined && !(detection.mag !== null && detection.mag <= filter.maxMag)) return false
  if (filter.minRealBogus !== undefined && !(detection.realBogus >= filter.minRealBogus)) return false
  if (filter.minDetections !== undefined && !(detection.priorDetections !== null && detection.priorDetections >= filter.minDetections))
    return false
  return true
}

/**
 * Whether a subscription with this filter wants an alert. Every criterion given must hold: a stream
 * (exact or glob), an event type, a minimum changed fraction, and the detection criteria together on one of the
 * event's detections (so "S/N ≥ 5 inside watchlist W" is not met by a faint source in W and a bright one outside).
 * The digest interval does not filter: it decides when the alert is sent (see DeliveryLedger.recordAlerts).
 */
export function matchesFilter(filter: AlertFilter, facts: AlertFacts): boolean {
  if (filter.streams !== undefined && !filter.streams.some((glob) => globToRegExp(glob).test(facts.stream))) return false
  if (filter.eventTypes !== undefined && !filter.eventTypes.includes(facts.eventType)) return false
  if (filter.minChangedFraction !== undefined && (facts.changedFraction ?? 0) < filter.minChangedFraction) return false
  if (hasDetectionCriterion(filter)) return (facts.detections ?? []).some((detection) => detectionMatches(filter, detection))
  return true
}
