/**
 * Sky positions in sexagesimal as an astronomer reads them, on the viewer's pages and in `imgpipe db show`: right
 * ascension in hours, minutes and seconds, declination in signed degrees, arcminutes and arcseconds. Each value is
 * rounded once, to its last printed digit, before it is split, so 59.9999 s never prints as "60.000s".
 */

/** `10h00m24.000s`: right ascension (degrees, any turn) as hours, to a millisecond of time (15 mas). */
export function formatRaHms(degrees: number): string {
  if (!Number.isFinite(degrees)) return '—'
  const turn = ((degrees % 360) + 360) % 360
  const total = Math.round((turn / 15) * 3_600_000) % (24 * 3_600_000)
  const h = Math.floor(total / 3_600_000)
  const m = Math.floor((total % 3_600_000) / 60_000)
  const ms = total % 60_000
  return `${pad(h)}h${pad(m)}m${pad(Math.floor(ms / 1000))}.${String(ms % 1000).padStart(3, '0')}s`
}

/** `+02°12′00.00″`: declination (degrees) to ten milliarcseconds, always signed. */
export function formatDecDms(degrees: number): string {
  if (!Number.isFinite(degrees)) return '—'
  const total = Math.round(Math.abs(degrees) * 360_000)
  // A value that rounds to zero is +00°00′00.00″: no negative zero.
  const sign = degrees < 0 && total > 0 ? '-' : '+'
  const d = Math.floor(total / 360_000)
  const m = Math.floor((total % 360_000) / 6000)
  const cs = total % 6000
  return `${sign}${pad(d)}°${pad(m)}′${pad(Math.floor(cs / 100))}.${String(cs % 100).padStart(2, '0')}″`
}

function pad(value: number): string {
  return String(value).padStart(2, '0')
}
