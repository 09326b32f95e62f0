/**
 * Sky positions and times as an astronomer reads them on the viewer's pages: right ascension in hours, minutes
 * and seconds, declination in signed degrees, arcminutes and arcseconds, decimal degrees, time as MJD.
 */
import { formatDecDms as decDms, formatRaHms as raHms } from '../core/sexagesimal.js'

/**
 * `10:00:24.000` and `+02:12:00.00`: the sexagesimal forms `imgpipe db show` prints too (src/core/sexagesimal.ts),
 * with a dash for what is not a number.
 */
export function formatRaHms(degrees: number): string {
  return Number.isFinite(degrees) ? raHms(degrees) : '—'
}

export function formatDecDms(degrees: number): string {
  return Number.isFinite(degrees) ? decDms(degrees) : '—'
}

/** Degrees with 6 decimals (3.6 mas in declination): what is typed into a catalogue query. */
export function formatDegrees(degrees: number): string {
  return Number.isFinite(degrees) ? `${degrees.toFixed(6)}°` : '—'
}

/** MJD to a microday (86 ms): enough to tell exposures apart. */
export function formatMjd(mjd: number): string {
  return Number.isFinite(mjd) ? mjd.toFixed(6) : '—'
}
