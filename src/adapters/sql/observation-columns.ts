import type { ImageObservation } from '../../core/types.js'
import { MAX_OBSERVATION_TEXT, truncate } from './column-limits.js'
import { toDbTimestamp } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'
import type { ObservationColumn } from './observation-column-names.js'

/**
 * `ImageObservation` → the observation columns of `image_metadata` (migration 0005); `toObservation` in
 * row-mappers.ts reads them back. A row is a science image exactly when `fits_header` is not NULL: every FITS
 * image has a header, no picture has one.
 *
 * What the columns cannot hold is settled here, the same way on every dialect, rather than left to each
 * database (MySQL refuses NaN, PostgreSQL stores it, SQLite turns it into NULL):
 * - a non-finite number, or an `obsTime` that is no date, is stored as NULL;
 * - `filter` and `field` longer than 68 characters (only a CONTINUE long string gets there) are cut to 68,
 *   as error messages are: the full value stays in `fits_header`, and one odd header must not fail a batch;
 * - a header over MAX_FITS_HEADER_CHARS is cut after its last whole card (the FITS file in the object store
 *   keeps all of it); NUL characters, which PostgreSQL text cannot hold and FITS headers may not contain,
 *   become blanks.
 */

/** 4 Mi characters: above the 1000 blocks × 36 cards × 81 characters (2.9 M) of the largest header we keep. */
export const MAX_FITS_HEADER_CHARS = 4 * 1024 * 1024

const CARD_WITH_NEWLINE = 81

interface ObservationValues {
  fits_hdu: number | null
  obs_mjd: number | null
  obs_time: Date | string | null
  exposure_s: number | null
  filter: string | null
  field: string | null
  center_ra: number | null
  center_dec: number | null
  pixel_scale_arcsec: number | null
  footprint: string | null
  fits_header: string | null
}

// Typed by both: a column listed in observation-column-names.ts that the values lack does not compile.
const NO_OBSERVATION: ObservationValues & Record<ObservationColumn, null> = {
  fits_hdu: null,
  obs_mjd: null,
  obs_time: null,
  exposure_s: null,
  filter: null,
  field: null,
  center_ra: null,
  center_dec: null,
  pixel_scale_arcsec: null,
  footprint: null,
  fits_header: null,
}

function finite(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

function storedTime(kind: SqlDialectKind, iso: string | null): Date | string | null {
  if (iso === null) return null
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? null : toDbTimestamp(kind, date)
}

/** The header as stored: NULs blanked, and at most MAX_FITS_HEADER_CHARS, cut after a whole card. */
export function storedHeader(header: string): string {
  const clean = header.includes('\u0000') ? header.replaceAll('\u0000', ' ') : header
  if (clean.length <= MAX_FITS_HEADER_CHARS) return clean
  const cards = Math.floor((MAX_FITS_HEADER_CHARS + 1) / CARD_WITH_NEWLINE)
  return clean.slice(0, cards * CARD_WITH_NEWLINE - 1)
}

export function toObservationValues(kind: SqlDialectKind, observation: ImageObservation | null | undefined): ObservationValues {
  if (observation === null || observation === undefined) return NO_OBSERVATION
  const footprint = observation.footprint?.filter(([ra, dec]) => Number.isFinite(ra) && Number.isFinite(dec))
  return {
    fits_hdu: Number.isSafeInteger(observation.hdu) ? observation.hdu : null,
    obs_mjd: finite(observation.obsMjd),
    obs_time: storedTime(kind, observation.obsTime),
    exposure_s: finite(observation.exposureS),
    filter: truncate(observation.filter, MAX_OBSERVATION_TEXT),
    field: truncate(observation.field, MAX_OBSERVATION_TEXT),
    center_ra: finite(observation.centerRa),
    center_dec: finite(observation.centerDec),
    pixel_scale_arcsec: finite(observation.pixelScaleArcsec),
    // JSON numbers print the shortest text that reads back as the same double: full precision.
    footprint: footprint === undefined || footprint.length === 0 ? null : JSON.stringify(footprint),
    fits_header: storedHeader(observation.header),
  }
}

/** Characters of header text in these values: what the batch insert bounds per statement. */
export function headerChars(values: { fits_header?: string | null }): number {
  return values.fits_header?.length ?? 0
}
