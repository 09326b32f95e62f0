/**
 * Sky positions as astronomers read them: right ascension in hours, minutes and seconds of time, declination in
 * signed degrees, arcminutes and arcseconds (`10:00:28.600 +02:12:21.00`). Rounded on whole units of the last
 * digit first, so a value just under a minute never prints as `:60.000`.
 */

const MS_PER_DAY_OF_RA = 24 * 3_600_000

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0')
}

/** Right ascension (degrees, any turn) as `HH:MM:SS.sss` (a millisecond of time is 15 mas). */
export function formatRaHms(raDeg: number): string {
  if (!Number.isFinite(raDeg)) return String(raDeg)
  const ms = ((Math.round((raDeg / 15) * 3_600_000) % MS_PER_DAY_OF_RA) + MS_PER_DAY_OF_RA) % MS_PER_DAY_OF_RA
  const hours = Math.floor(ms / 3_600_000)
  const minutes = Math.floor((ms % 3_600_000) / 60_000)
  const seconds = ms % 60_000
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(Math.floor(seconds / 1000), 2)}.${pad(seconds % 1000, 3)}`
}

/** Declination (degrees) as `±DD:MM:SS.ss` (to 10 mas). */
export function formatDecDms(decDeg: number): string {
  if (!Number.isFinite(decDeg)) return String(decDeg)
  const centiArcsec = Math.round(Math.abs(decDeg) * 360_000)
  const degrees = Math.floor(centiArcsec / 360_000)
  const minutes = Math.floor((centiArcsec % 360_000) / 6000)
  const hundredths = centiArcsec % 6000
  const sign = decDeg < 0 && centiArcsec > 0 ? '-' : '+'
  return `${sign}${pad(degrees, 2)}:${pad(minutes, 2)}:${pad(Math.floor(hundredths / 100), 2)}.${pad(hundredths % 100, 2)}`
}
