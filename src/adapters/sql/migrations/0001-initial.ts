import type { Kysely, Migration } from 'kysely'
import { adoptOriginalTables, existingCatalogTables } from '../adopt-original-tables.js'
import { catalogTableSpecs, createCatalogTable } from '../catalog-tables.js'
import type { SqlDialectKind } from '../sql-dialect.js'

/**
 * The original's three tables with the columns the pipeline adds. Every added column has a default or
 * allows NULL, so the original's `INSERT INTO image_metadata (image_filename, image_object_key) ...`
 * still works. Tables the original already created are taken over in place (rows kept): see
 * `adopt-original-tables.ts`. The definitions live in `catalog-tables.ts`; for a new database this
 * creates exactly what it always did.
 */
export function initialMigration(kind: SqlDialectKind): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if ((await existingCatalogTables(db)).length > 0) {
        await adoptOriginalTables(db, kind)
        return
      }
      for (const spec of catalogTableSpecs(kind, { nullableDifferenceKey: false })) await createCatalogTable(db, kind, spec)
    },
  }
}
