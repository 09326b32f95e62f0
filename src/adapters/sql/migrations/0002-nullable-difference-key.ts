import type { Kysely, Migration } from 'kysely'
import { rebuildSqliteCatalog } from '../adopt-original-tables.js'
import { catalogTableSpecs } from '../catalog-tables.js'
import type { SqlDialectKind } from '../sql-dialect.js'

/**
 * `image_event.difference_image_object_key` allows NULL: the difference image is named after the event's
 * id (`difference_image/image_event_00001.jpg`, the original's layout), so the row is inserted before the
 * object exists and the key set after the upload, which is also how the original's analysis client writes
 * it. SQLite cannot drop a NOT NULL in place: its tables are rebuilt, rows and ids kept.
 */
export function nullableDifferenceKeyMigration(kind: SqlDialectKind): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      switch (kind) {
        case 'mysql':
          await db.schema.alterTable('image_event').modifyColumn('difference_image_object_key', 'varchar(512)').execute()
          return
        case 'postgres':
          await db.schema
            .alterTable('image_event')
            .alterColumn('difference_image_object_key', (column) => column.dropNotNull())
            .execute()
          return
        case 'sqlite':
          await rebuildSqliteCatalog(db, catalogTableSpecs(kind, { nullableDifferenceKey: true }))
      }
    },
  }
}
