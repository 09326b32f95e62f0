import type { ColumnType, Generated, Selectable } from 'kysely'
import type { CatalogTable } from '../../core/ports/catalog.js'

/**
 * The catalog's tables as Kysely sees them. Column names are the database's (the original's
 * `image_metadata`, `image_event`, `image_event_alert`); the mapping to camelCase records lives in
 * `row-mappers.ts`.
 *
 * Drivers disagree on a few read types, so those columns are typed as what any of them may return:
 * timestamps are ISO text on SQLite and `Date` elsewhere; PostgreSQL returns `bigint` as a string.
 */

/** Written as `Date` (MySQL, PostgreSQL) or ISO-8601 text (SQLite): see `SqlDialect.timestamp`. */
type DefaultedTimestamp = ColumnType<Date | string, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | string | null, Date | string | null | undefined, Date | string | null>
type BigInteger = ColumnType<number | string | null, number | null | undefined, number | null>
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>

export interface ImageMetadataTable {
  image_id: Generated<number>
  image_filename: string
  image_object_key: string
  stream: Generated<string>
  image_num: Nullable<number>
  content_sha256: Nullable<string>
  byte_size: BigInteger
  width: Nullable<number>
  height: Nullable<number>
  format: Nullable<string>
  status: Generated<string>
  error_code: Nullable<string>
  error_message: Nullable<string>
  received_at: DefaultedTimestamp
  analyzed_at: NullableTimestamp
  previous_image_id: Nullable<number>
  l2_norm: Nullable<number>
  changed_fraction: Nullable<number>
  max_abs_difference: Nullable<number>
  // What a FITS header says (migration 0005); all NULL for pictures. See observation-columns.ts.
  fits_hdu: Nullable<number>
  obs_mjd: Nullable<number>
  obs_time: NullableTimestamp
  exposure_s: Nullable<number>
  filter: Nullable<string>
  field: Nullable<string>
  center_ra: Nullable<number>
  center_dec: Nullable<number>
  pixel_scale_arcsec: Nullable<number>
  footprint: Nullable<string>
  fits_header: Nullable<string>
}

export interface ImageEventTable {
  image_event_id: Generated<number>
  image_id: number
  difference_image_object_key: Nullable<string>
  event_type: Generated<string>
  detected_at: DefaultedTimestamp
  analyzer: Nullable<string>
  analyzer_version: Nullable<string>
}

export interface ImageEventAlertTable {
  image_event_alert_id: Generated<number>
  image_event_id: number
  created_at: DefaultedTimestamp
  delivered_at: NullableTimestamp
  delivery_channels: Nullable<string>
}

/** The Kysely database type of the catalog. */
export interface CatalogDatabase {
  image_metadata: ImageMetadataTable
  image_event: ImageEventTable
  image_event_alert: ImageEventAlertTable
}

export type ImageMetadataRow = Selectable<ImageMetadataTable>
export type ImageEventRow = Selectable<ImageEventTable>
export type ImageEventAlertRow = Selectable<ImageEventAlertTable>

/** Primary key column of each table, for ascending listings. */
export const ID_COLUMNS: Readonly<Record<CatalogTable, string>> = {
  image_metadata: 'image_id',
  image_event: 'image_event_id',
  image_event_alert: 'image_event_alert_id',
}

/** Timestamp columns, normalised to ISO strings in raw listings so every dialect prints the same. */
export const TIMESTAMP_COLUMNS: ReadonlySet<string> = new Set([
  'received_at',
  'analyzed_at',
  'detected_at',
  'created_at',
  'delivered_at',
  'obs_time',
])

/** Integer columns some drivers return as strings (PostgreSQL `bigint`). */
export const INTEGER_COLUMNS: ReadonlySet<string> = new Set([
  'image_id',
  'image_num',
  'byte_size',
  'width',
  'height',
  'previous_image_id',
  'max_abs_difference',
  'fits_hdu',
  'image_event_id',
  'image_event_alert_id',
])

/** Tables the migrations own, children first: the order for deletes and drops. */
export const TABLES_CHILDREN_FIRST = ['image_event_alert', 'image_event', 'image_metadata'] as const
