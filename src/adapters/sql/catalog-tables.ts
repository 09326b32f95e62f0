import type { ColumnDataType, ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely'
import { autoIncrementPrimaryKey, tableOptions, timestampDefault, timestampType } from './sql-dialect.js'
import type { SqlDialectKind } from './sql-dialect.js'

/**
 * The catalog's tables as data: the migrations create them from these lists, and the take-over of the
 * original's tables (`adopt-original-tables.ts`) adds the columns, indexes and constraints it lacks from
 * the same lists, so both paths end in the same schema.
 */
export interface ColumnSpec {
  name: string
  type: ColumnDataType
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

/** `difference_image_object_key` allows NULL from migration 0002 on. */
export function catalogTableSpecs(kind: SqlDialectKind, options: { nullableDifferenceKey: boolean }): TableSpec[] {
  const timestamp = timestampType(kind)
  const now = timestampDefault(kind)
  const notNull = (column: ColumnDefinitionBuilder) => column.notNull()
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
      ],
      // NULL image_num (hand-written rows) may repeat: NULLs are distinct in all three databases.
      uniques: [{ name: 'image_metadata_stream_image_num_key', columns: ['stream', 'image_num'] }],
      indexes: [
        { name: 'image_metadata_status_idx', columns: ['status'] },
        { name: 'image_metadata_object_key_idx', columns: ['image_object_key'] },
        { name: 'image_metadata_stream_sha256_idx', columns: ['stream', 'content_sha256'] },
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
