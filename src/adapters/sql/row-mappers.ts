import type { AlertRecord, EventType, ImageEventRecord, ImageObservation, ImageRecord, ImageStatus } from '../../core/types.js'
import { INTEGER_COLUMNS, TIMESTAMP_COLUMNS } from './catalog-schema.js'
import type { ImageEventAlertRow, ImageEventRow, ImageMetadataRow } from './catalog-schema.js'

/**
 * Rows → domain records. Drivers return timestamps as `Date` (mysql2, pg) or ISO text (SQLite), and
 * PostgreSQL returns `bigint` as a string; records always carry `Date`s and JS numbers.
 */

const ZONE_SUFFIX = /(Z|[+-]\d{2}(:?\d{2})?)$/i

/**
 * Parses a stored timestamp. Text without a zone is UTC: that is what SQLite's `CURRENT_TIMESTAMP` and
 * `strftime` produce in hand-written rows (`2024-05-01 12:00:00`).
 */
export function toDate(value: Date | string): Date {
  if (value instanceof Date) return value
  const text = value.includes('T') ? value : value.replace(' ', 'T')
  const date = new Date(ZONE_SUFFIX.test(text) ? text : `${text}Z`)
  if (Number.isNaN(date.getTime())) throw new TypeError(`unreadable timestamp ${JSON.stringify(value)}`)
  return date
}

export function toDateOrNull(value: Date | string | null): Date | null {
  return value === null ? null : toDate(value)
}

export function toNumber(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value)
}

export function toNumberOrNull(value: number | string | bigint | null): number | null {
  return value === null ? null : toNumber(value)
}

export function toImageRecord(row: ImageMetadataRow): ImageRecord {
  return {
    imageId: toNumber(row.image_id),
    imageFilename: row.image_filename,
    imageObjectKey: row.image_object_key,
    stream: row.stream,
    imageNum: toNumberOrNull(row.image_num),
    contentSha256: row.content_sha256,
    byteSize: toNumberOrNull(row.byte_size),
    width: toNumberOrNull(row.width),
    height: toNumberOrNull(row.height),
    format: row.format,
    status: row.status as ImageStatus,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    receivedAt: toDate(row.received_at),
    analyzedAt: toDateOrNull(row.analyzed_at),
    previousImageId: toNumberOrNull(row.previous_image_id),
    l2Norm: toNumberOrNull(row.l2_norm),
    changedFraction: toNumberOrNull(row.changed_fraction),
    maxAbsDifference: toNumberOrNull(row.max_abs_difference),
    observation: toObservation(row),
  }
}

function parseFootprint(text: string | null): Array<[number, number]> | null {
  if (text === null) return null
  try {
    const parsed: unknown = JSON.parse(text)
    if (!Array.isArray(parsed)) return null
    const pairs: Array<[number, number]> = []
    for (const pair of parsed) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'number' || typeof pair[1] !== 'number') return null
      pairs.push([pair[0], pair[1]])
    }
    return pairs
  } catch {
    // A hand-edited row: show no footprint rather than fail every read of the image.
    return null
  }
}

/**
 * The observation columns (written by observation-columns.ts); null for a picture, whose `fits_header` is NULL.
 * `undefined` too: a row selected without the columns (a database not yet migrated to 0005) is no science image.
 */
export function toObservation(row: ImageMetadataRow): ImageObservation | null {
  if (row.fits_header === null || row.fits_header === undefined) return null
  return {
    hdu: toNumberOrNull(row.fits_hdu) ?? 0,
    obsMjd: toNumberOrNull(row.obs_mjd),
    obsTime: toDateOrNull(row.obs_time)?.toISOString() ?? null,
    exposureS: toNumberOrNull(row.exposure_s),
    filter: row.filter,
    field: row.field,
    centerRa: toNumberOrNull(row.center_ra),
    centerDec: toNumberOrNull(row.center_dec),
    pixelScaleArcsec: toNumberOrNull(row.pixel_scale_arcsec),
    footprint: parseFootprint(row.footprint),
    header: row.fits_header,
  }
}

export function toEventRecord(row: ImageEventRow): ImageEventRecord {
  return {
    imageEventId: toNumber(row.image_event_id),
    imageId: toNumber(row.image_id),
    differenceImageObjectKey: row.difference_image_object_key,
    eventType: row.event_type as EventType,
    detectedAt: toDate(row.detected_at),
    analyzer: row.analyzer,
    analyzerVersion: row.analyzer_version,
  }
}

export function toAlertRecord(row: ImageEventAlertRow): AlertRecord {
  return {
    imageEventAlertId: toNumber(row.image_event_alert_id),
    imageEventId: toNumber(row.image_event_id),
    createdAt: toDate(row.created_at),
    deliveredAt: toDateOrNull(row.delivered_at),
    deliveryChannels: row.delivery_channels,
  }
}

/**
 * A raw row for `tableRows`: database column names and order, timestamps as ISO strings and integers as
 * numbers, so that the same data prints identically from SQLite, MySQL and PostgreSQL.
 */
export function normalizeRawRow(row: Record<string, unknown>): Record<string, unknown> {
  const normalized: Record<string, unknown> = {}
  for (const [column, value] of Object.entries(row)) {
    if (value === null || value === undefined) normalized[column] = null
    else if (TIMESTAMP_COLUMNS.has(column) && (value instanceof Date || typeof value === 'string')) {
      normalized[column] = isoOrRaw(value)
    } else if (INTEGER_COLUMNS.has(column) && (typeof value === 'string' || typeof value === 'bigint')) {
      normalized[column] = Number(value)
    } else normalized[column] = value
  }
  return normalized
}

/** A hand-written row may hold any text in a SQLite timestamp column: show it as it is rather than fail. */
function isoOrRaw(value: Date | string): string {
  try {
    return toDate(value).toISOString()
  } catch {
    return String(value)
  }
}
