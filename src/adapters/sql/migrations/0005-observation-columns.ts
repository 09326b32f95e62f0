import type { Kysely, Migration } from 'kysely'
import { indexNames } from '../adopt-original-tables.js'
import { OBSERVATION_INDEXES, observationColumns } from '../catalog-tables.js'
import type { SqlDialectKind } from '../sql-dialect.js'

/**
 * What a science (FITS) image's header says, as nullable columns of `image_metadata` (issue 17): HDU, time (MJD
 * and UTC), exposure, filter, field, centre RA/Dec, pixel scale, footprint and the header itself; definitions in
 * `catalog-tables.ts`. Every column is NULL by default, so the original's programs, which name their columns,
 * neither see nor fill them. Plain ADD COLUMN on all three: SQLite adds a nullable column without a rebuild.
 *
 * Only what is missing is added: the take-over of the original's tables (run by 0001 or after the migrations)
 * creates the latest schema at once, and MySQL's DDL is not transactional, so a run that stopped half-way
 * must be able to finish.
 */
export function observationColumnsMigration(kind: SqlDialectKind): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const table = (await db.introspection.getTables()).find((candidate) => candidate.name === 'image_metadata')
      const have = new Set(table?.columns.map((column) => column.name) ?? [])
      for (const column of observationColumns(kind)) {
        if (!have.has(column.name)) await db.schema.alterTable('image_metadata').addColumn(column.name, column.type).execute()
      }
      const indexes = await indexNames(db, kind, 'image_metadata')
      for (const index of OBSERVATION_INDEXES) {
        if (!indexes.has(index.name)) await db.schema.createIndex(index.name).on('image_metadata').columns(index.columns).execute()
      }
    },
  }
}
