import type { Kysely, Migration } from 'kysely'
import { autoIncrementPrimaryKey, tableOptions, timestampDefault, timestampType } from '../sql-dialect.js'
import type { SqlDialectKind } from '../sql-dialect.js'

/**
 * The original's three tables with the columns the pipeline adds. Every added column has a default or
 * allows NULL, so the original's `INSERT INTO image_metadata (image_filename, image_object_key) ...`
 * still works. Constraints are table-level because MySQL 8 ignores inline column `REFERENCES`.
 */
export function initialMigration(kind: SqlDialectKind): Migration {
  const timestamp = timestampType(kind)
  const now = timestampDefault(kind)
  const id = autoIncrementPrimaryKey(kind)
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('image_metadata')
        .addColumn('image_id', 'integer', id)
        .addColumn('image_filename', 'varchar(255)', (column) => column.notNull())
        .addColumn('image_object_key', 'varchar(512)', (column) => column.notNull())
        .addColumn('stream', 'varchar(64)', (column) => column.notNull().defaultTo('default'))
        .addColumn('image_num', 'integer')
        .addColumn('content_sha256', 'char(64)')
        .addColumn('byte_size', 'bigint')
        .addColumn('width', 'integer')
        .addColumn('height', 'integer')
        .addColumn('format', 'varchar(16)')
        .addColumn('status', 'varchar(16)', (column) => column.notNull().defaultTo('received'))
        .addColumn('error_code', 'varchar(64)')
        .addColumn('error_message', 'varchar(1024)')
        .addColumn('received_at', timestamp, (column) => column.notNull().defaultTo(now))
        .addColumn('analyzed_at', timestamp)
        .addColumn('previous_image_id', 'integer')
        .addColumn('l2_norm', 'double precision')
        .addColumn('changed_fraction', 'double precision')
        .addColumn('max_abs_difference', 'integer')
        // NULL image_num (hand-written rows) may repeat: NULLs are distinct in all three databases.
        .addUniqueConstraint('image_metadata_stream_image_num_key', ['stream', 'image_num'])
        // SET NULL lets a plain `DELETE FROM image_metadata` work on MySQL, which checks row by row.
        .addForeignKeyConstraint('image_metadata_previous_image_id_fkey', ['previous_image_id'], 'image_metadata', ['image_id'], (fk) =>
          fk.onDelete('set null'),
        )
        .$call(tableOptions(kind))
        .execute()
      await db.schema.createIndex('image_metadata_status_idx').on('image_metadata').column('status').execute()
      await db.schema.createIndex('image_metadata_object_key_idx').on('image_metadata').column('image_object_key').execute()
      await db.schema.createIndex('image_metadata_stream_sha256_idx').on('image_metadata').columns(['stream', 'content_sha256']).execute()

      await db.schema
        .createTable('image_event')
        .addColumn('image_event_id', 'integer', id)
        .addColumn('image_id', 'integer', (column) => column.notNull())
        .addColumn('difference_image_object_key', 'varchar(512)', (column) => column.notNull())
        .addColumn('event_type', 'varchar(32)', (column) => column.notNull().defaultTo('changed'))
        .addColumn('detected_at', timestamp, (column) => column.notNull().defaultTo(now))
        .addColumn('analyzer', 'varchar(64)')
        .addColumn('analyzer_version', 'varchar(32)')
        .addUniqueConstraint('image_event_image_id_key', ['image_id'])
        .addForeignKeyConstraint('image_event_image_id_fkey', ['image_id'], 'image_metadata', ['image_id'])
        .$call(tableOptions(kind))
        .execute()
      await db.schema.createIndex('image_event_difference_key_idx').on('image_event').column('difference_image_object_key').execute()

      await db.schema
        .createTable('image_event_alert')
        .addColumn('image_event_alert_id', 'integer', id)
        .addColumn('image_event_id', 'integer', (column) => column.notNull())
        .addColumn('created_at', timestamp, (column) => column.notNull().defaultTo(now))
        .addColumn('delivered_at', timestamp)
        .addColumn('delivery_channels', 'varchar(255)')
        .addUniqueConstraint('image_event_alert_image_event_id_key', ['image_event_id'])
        .addForeignKeyConstraint('image_event_alert_image_event_id_fkey', ['image_event_id'], 'image_event', ['image_event_id'])
        .$call(tableOptions(kind))
        .execute()
    },
  }
}
