/**
 * Sky positions and times on the viewer's pages: degrees and MJD as typed into a catalogue query; the sexagesimal
 * forms are core's (`core/sexagesimal.ts`), shared with `imgpipe db show`.
 */
export { formatDecDms, formatRaHms } from '../core/sexagesimal.js'

/** Degrees with 6 decimals (3.6 mas in declination): what is typed into a catalogue query. */
export function formatDegrees(degrees: number): string {
  return Number.isFinite(degrees) ? `${degrees.toFixed(6)}°` : '—'
}

/** MJD to a microday (86 ms): enough to tell exposures apart. */
export function formatMjd(mjd: number): string {
  return Number.isFinite(mjd) ? mjd.toFixed(6) : '—'
}
