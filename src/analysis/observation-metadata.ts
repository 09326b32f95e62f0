/**
 * What a science image's header says about the observation, as the columns a user filters on: when (MJD and UTC),
 * how long, through which filter, which field, where on the sky (centre, pixel scale, footprint).
 *
 * Keywords are the common ones across observatories, first match wins: time from MJD-OBS (FITS Standard 4.0 §9.2;
 * ZTF writes OBSMJD) or DATE-OBS (+ TIME-OBS for a date-only DATE-OBS, the pre-2000 form); exposure EXPTIME,
 * EXPOSURE, ITIME; filter FILTER, FILTNAME, BAND, FILTER1; field FIELD, FIELDID, OBJECT. Sky positions come from the
 * WCS (src/analysis/wcs) when its system is ICRS or FK5 J2000 (FK5 and ICRS differ by under 25 mas, less than any
 * pixel here); other systems (galactic, FK4) give no sky columns rather than wrong ones, and `notes` says why.
 */
import { headerLookup, type CardValue, type HeaderCard } from './fits/header-card.js'
import { imageFootprint } from './wcs/footprint.js'
import { readWcs } from './wcs/wcs.js'

export interface ObservationMetadata {
  /** Start of the exposure, MJD (UTC). */
  readonly obsMjd: number | null
  /** The same as ISO 8601 UTC with milliseconds and a Z. */
  readonly obsTime: string | null
  readonly exposureS: number | null
  readonly filter: string | null
  readonly field: string | null
  /** Sky position of the image centre, degrees (ICRS). */
  readonly centerRa: number | null
  readonly centerDec: number | null
  /** Mean arcseconds per pixel at the reference pixel. */
  readonly pixelScaleArcsec: number | null
  /** The corner pixels' sky positions [ra, dec], degrees, in astropy's calc_footprint order (wcs/footprint.ts). */
  readonly footprint: readonly (readonly [number, number])[] | null
  /** Why a field is missing when the header had something for it (one line each). */
  readonly notes: readonly string[]
}

const MJD_UNIX_EPOCH = 40_587

function first(lookup: ReturnType<typeof headerLookup>, keywords: readonly string[]): CardValue | undefined {
  for (const keyword of keywords) {
    const value = lookup.get(keyword)
    if (value !== undefined && value !== null && value !== '') return value
  }
  return undefined
}

function numberOf(value: CardValue | undefined): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return null
}

function textOf(value: CardValue | undefined): string | null {
  if (value === undefined || value === null) return null
  const text = String(value).trim()
  return text === '' ? null : text
}

/** MJD of an ISO 8601 date(time) as FITS writes it (no zone: UTC per TIMESYS default), or null. */
function mjdOfIso(date: string, time?: string): number | null {
  const joined = time !== undefined && !date.includes('T') ? `${date}T${time}` : date
  const match = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d(?:\.\d+)?))?)?$/.exec(joined.trim())
  if (match === null) return null
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), 0) + Number(s) * 1000
  return Number.isFinite(ms) ? ms / 86_400_000 + MJD_UNIX_EPOCH : null
}

/** The observation metadata of an image of `width`×`height` pixels with these header cards. */
export function observationMetadata(cards: readonly HeaderCard[], width: number, height: number): ObservationMetadata {
  const lookup = headerLookup(cards)
  const notes: string[] = []
  let obsMjd = numberOf(first(lookup, ['MJD-OBS', 'OBSMJD', 'MJD_OBS']))
  if (obsMjd === null) {
    const date = textOf(lookup.get('DATE-OBS'))
    if (date !== null) {
      obsMjd = mjdOfIso(date, textOf(lookup.get('TIME-OBS')) ?? undefined)
      if (obsMjd === null) notes.push(`DATE-OBS '${date}' is not an ISO 8601 date`)
    }
  }
  const timesys = textOf(lookup.get('TIMESYS'))
  if (obsMjd !== null && timesys !== null && !['UTC', 'UT'].includes(timesys.toUpperCase())) {
    notes.push(`TIMESYS is ${timesys}: the time is stored as written, not converted to UTC`)
  }
  const obsTime = obsMjd === null ? null : new Date(Math.round((obsMjd - MJD_UNIX_EPOCH) * 86_400_000)).toISOString()
  const sky = skyColumns(cards, width, height, notes)
  return {
    obsMjd,
    obsTime,
    exposureS: numberOf(first(lookup, ['EXPTIME', 'EXPOSURE', 'ITIME'])),
    filter: textOf(first(lookup, ['FILTER', 'FILTNAME', 'BAND', 'FILTER1'])),
    field: textOf(first(lookup, ['FIELD', 'FIELDID', 'OBJECT'])),
    ...sky,
    notes,
  }
}

function skyColumns(
  cards: readonly HeaderCard[],
  width: number,
  height: number,
  notes: string[],
): Pick<ObservationMetadata, 'centerRa' | 'centerDec' | 'pixelScaleArcsec' | 'footprint'> {
  const none = { centerRa: null, centerDec: null, pixelScaleArcsec: null, footprint: null }
  const lookup = headerLookup(cards)
  if (lookup.get('CTYPE1') === undefined) return none
  let wcs
  try {
    wcs = readWcs(lookup)
  } catch (error) {
    notes.push(`no sky position: ${error instanceof Error ? error.message : String(error)}`)
    return none
  }
  const { system, equinox, ctype } = wcs.parameters
  if (!ctype[0].startsWith('RA') && !ctype[0].startsWith('DEC')) {
    notes.push(`no sky position: the WCS is in ${system} coordinates, not RA/Dec`)
    return none
  }
  if (!(system === 'ICRS' || (system === 'FK5' && (equinox ?? 2000) === 2000))) {
    notes.push(`no sky position: RADESYS ${system}${equinox !== undefined ? ` ${equinox}` : ''} is not ICRS or FK5 J2000`)
    return none
  }
  try {
    const { center, corners, pixelScaleArcsec } = imageFootprint(wcs, width, height)
    return {
      centerRa: center.ra,
      centerDec: center.dec,
      pixelScaleArcsec,
      footprint: corners.map((corner) => [corner.ra, corner.dec] as const),
    }
  } catch (error) {
    notes.push(`no sky position: ${error instanceof Error ? error.message : String(error)}`)
    return none
  }
}
