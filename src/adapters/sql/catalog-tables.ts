import { sql } from 'kysely'
import type { ColumnDataType, ColumnDefinitionBuilder, CreateTableBuilder, Kysely, RawBuilder } from 'kysely'
import { MAX_OBSERVATION_TEXT } from './column-limits.js'
import { autoIncrementPrimaryKey, tableOptions, timestampDefault, timestampType } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'

/**
 * The catalog's tables as data: the migrations create them from these lists, and the take-over of the
 * original's tables (`adopt-original-tables.ts`) adds the columns, indexes and constraints it lacks from
 * the same lists, so both paths end in the same schema.
 */
export interface ColumnSpec {
  name: string
  /** A raw type only where Kysely has no name for it (MySQL's MEDIUMTEXT, a kind of text). */
  type: ColumnDataType | RawBuilder<unknown>
  build?: (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder
}

export interface IndexSpec {
  name: string
  columns: string[]
  unique?: boolean
}

export interface ForeignKeySpec {
  name: string
  column: string
  references: { table: string; column: string }
  onDeleteSetNull?: boolean
}

export interface TableSpec {
  name: 'image_metadata' | 'image_event' | 'image_event_alert'
  columns: ColumnSpec[]
  /** Unique constraints: table-level in created tables, unique indexes in taken-over ones (same effect). */
  uniques: IndexSpec[]
  indexes: IndexSpec[]
  foreignKeys: ForeignKeySpec[]
}

/**
 * What a science image's header says (migration 0005), all NULL for 8-bit pictures and for the original's rows,
 * whose programs never name these columns. `obs_time` is the dialect's timestamp type, like `received_at`, so it
 * sorts and compares as time on all three (SQLite: ISO 8601 UTC text with milliseconds, which sorts as time);
 * `obs_mjd` is the same instant as a double for arithmetic. `fits_header` is one HDU's cards: MySQL's TEXT stops
 * at 64 KiB and a FITS header may be thousands of 2880-byte blocks, hence MEDIUMTEXT (16 MiB) there.
 */
export function observationColumns(kind: SqlDialectKind): ColumnSpec[] {
  return [
    { name: 'fits_hdu', type: 'integer' },
    { name: 'obs_mjd', type: 'double precision' },
    { name: 'obs_time', type: timestampType(kind) },
    { name: 'exposure_s', type: 'double precision' },
    { name: 'filter', type: `varchar(${MAX_OBSERVATION_TEXT})` },
    { name: 'field', type: `varchar(${MAX_OBSERVATION_TEXT})` },
    { name: 'center_ra', type: 'double precision' },
    { name: 'center_dec', type: 'double precision' },
    { name: 'pixel_scale_arcsec', type: 'double precision' },
    // JSON [[ra, dec], …] of the corners: a handful of numbers nobody filters on inside SQL.
    { name: 'footprint', type: 'text' },
    { name: 'fits_header', type: kind === 'mysql' ? sql`mediumtext` : 'text' },
  ]
}

/**
 * The searches a user runs on science images: "the r-band frames of these nights" walks (filter, obs_mjd) in
 * order; "everything taken between these times", whatever the filter, needs obs_mjd leading. A sky-position
 * search would need a sky key (as dia_object has), not a plain index on center_dec: not here yet.
 */
export const OBSERVATION_INDEXES: readonly IndexSpec[] = [
  { name: 'image_metadata_filter_mjd_idx', columns: ['filter', 'obs_mjd'] },
  { name: 'image_metadata_obs_mjd_idx', columns: ['obs_mjd'] },
]

/**
 * `difference_image_object_key` allows NULL from migration 0002 on; the observation columns exist from 0005 on
 * (the take-over of the original's tables makes the latest schema at once).
 */
export function catalogTableSpecs(
  kind: SqlDialectKind,
  options: { nullableDifferenceKey: boolean; observationColumns?: boolean },
): TableSpec[] {
  const timestamp = timestampType(kind)
  const now = timestampDefault(kind)
  const notNull = (column: ColumnDefinitionBuilder) => column.notNull()
  const observation = options.observationColumns === true
  return [
    {
      name: 'image_metadata',
      columns: [
        { name: 'image_id', type: 'integer', build: autoIncrementPrimaryKey(kind) },
        { name: 'image_filename', type: 'varchar(255)', build: notNull },
        { name: 'image_object_key', type: 'varchar(512)', build: notNull },
        { name: 'stream', type: 'varchar(64)', build: (column) => column.notNull().defaultTo('default') },
        { name: 'image_num', type: 'integer' },
        { name: 'content_sha256', type: 'char(64)' },
        { name: 'byte_size', type: 'bigint' },
        { name: 'width', type: 'integer' },
        { name: 'height', type: 'integer' },
        { name: 'format', type: 'varchar(16)' },
        { name: 'status', type: 'varchar(16)', build: (column) => column.notNull().defaultTo('received') },
        { name: 'error_code', type: 'varchar(64)' },
        { name: 'error_message', type: 'varchar(1024)' },
        { name: 'received_at', type: timestamp, build: (column) => column.notNull().defaultTo(now) },
        { name: 'analyzed_at', type: timestamp },
        { name: 'previous_image_id', type: 'integer' },
        { name: 'l2_norm', type: 'double precision' },
        { name: 'changed_fraction', type: 'double precision' },
        { name: 'max_abs_difference', type: 'integer' },
        ...(observation ? observationColumns(kind) : []),
      ],
      // NULL image_num (hand-written rows) may repeat: NULLs are distinct in all three databases.
      uniques: [{ name: 'image_metadata_stream_image_num_key', columns: ['stream', 'image_num'] }],
      indexes: [
        { name: 'image_metadata_status_idx', columns: ['status'] },
        { name: 'image_metadata_object_key_idx', columns: ['image_object_key'] },
        { name: 'image_metadata_stream_sha256_idx', columns: ['stream', 'content_sha256'] },
        ...(observation ? OBSERVATION_INDEXES : []),
      ],
      // SET NULL lets a plain `DELETE FROM image_metadata` work on MySQL, which checks row by row.
      foreignKeys: [
        {
          name: 'image_metadata_previous_image_id_fkey',
          column: 'previous_image_id',
          references: { table: 'image_metadata', column: 'image_id' },
          onDeleteSetNull: true,
        },
      ],
    },
    {
      name: 'image_event',
      columns: [
        { name: 'image_event_id', type: 'integer', build: autoIncrementPrimaryKey(kind) },
        { name: 'image_id', type: 'integer', build: notNull },
        { name: 'difference_image_object_key', type: 'varchar(512)', ...(options.nullableDifferenceKey ? {} : { build: notNull }) },
        { name: 'event_type', type: 'varchar(32)', build: (column) => column.notNull().defaultTo('changed') },
        { name: 'detected_at', type: timestamp, build: (column) => column.notNull().defaultTo(now) },
        { name: 'analyzer', type: 'varchar(64)' },
        { name: 'analyzer_version', type: 'varchar(32)' },
      ],
      uniques: [{ name: 'image_event_image_id_key', columns: ['image_id'] }],
      indexes: [{ name: 'image_event_difference_key_idx', columns: ['difference_image_object_key'] }],
      foreignKeys: [{ name: 'image_event_image_id_fkey', column: 'image_id', references: { table: 'image_metadata', column: 'image_id' } }],
    },
    {
      name: 'image_event_alert',
      columns: [
        { name: 'image_event_alert_id', type: 'integer', build: autoIncrementPrimaryKey(kind) },
        { name: 'image_event_id', type: 'integer', build: notNull },
        { name: 'created_at', type: timestamp, build: (column) => column.notNull().defaultTo(now) },
        { name: 'delivered_at', type: timestamp },
        { name: 'delivery_channels', type: 'varchar(255)' },
      ],
      uniques: [{ name: 'image_event_alert_image_event_id_key', columns: ['image_event_id'] }],
      indexes: [],
      foreignKeys: [
        {
          name: 'image_event_alert_image_event_id_fkey',
          column: 'image_event_id',
          references: { table: 'image_event', column: 'image_event_id' },
        },
      ],
    },
  ]
}

/** The type's name for messages and compatibility checks; a raw type is one of the text types. */
export function columnTypeName(type: ColumnSpec['type']): string {
  return typeof type === 'string' ? type : 'text'
}

/** Creates one table with its constraints and indexes. Constraints are table-level: MySQL 8 ignores inline `REFERENCES`. */
export async function createCatalogTable(db: Kysely<unknown>, kind: SqlDialectKind, spec: TableSpec): Promise<void> {
  let builder: CreateTableBuilder<string, string> = db.schema.createTable(spec.name)
  for (const column of spec.columns) builder = builder.addColumn(column.name, column.type, column.build ?? ((c) => c))
  for (const unique of spec.uniques) builder = builder.addUniqueConstraint(unique.name, unique.columns)
  for (const fk of spec.foreignKeys) {
    builder = builder.addForeignKeyConstraint(fk.name, [fk.column], fk.references.table, [fk.references.column], (constraint) =>
      fk.onDeleteSetNull === true ? constraint.onDelete('set null') : constraint,
    )
  }
  await builder.$call(tableOptions(kind)).execute()
  for (const index of spec.indexes) await db.schema.createIndex(index.name).on(spec.name).columns(index.columns).execute()
}
