import { Migrator } from 'kysely'
import type { Kysely, Migration } from 'kysely'
import { TABLES_CHILDREN_FIRST } from './catalog-schema.js'
import { adoptOriginalTables, needsAdoption } from './adopt-original-tables.js'
import { initialMigration } from './migrations/0001-initial.js'
import { nullableDifferenceKeyMigration } from './migrations/0002-nullable-difference-key.js'
import { DELIVERY_TABLES_CHILDREN_FIRST } from './subscription-schema.js'
import { subscriptionsMigration } from './migrations/0003-subscriptions.js'
import type { SqlDialectKind } from './sql-dialect.js'
import { objectsMigration } from './migrations/0004-objects.js'
import { OBJECT_TABLES_CHILDREN_FIRST } from './object-schema.js'
import { observationColumnsMigration } from './migrations/0005-observation-columns.js'
import { scienceMigration } from './migrations/0006-science.js'
import { SCIENCE_TABLES_CHILDREN_FIRST } from './science-schema.js'

/**
 * Versioned, forward-only migrations run by Kysely's `Migrator`. Its lock (GET_LOCK on MySQL, an advisory
 * lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite, see `sqlite-catalog.ts`) makes concurrent `migrate()`
 * calls from several processes safe: the second one finds the work done.
 *
 * The bookkeeping tables are named after imgpipe, not Kysely's defaults, so that a database shared with
 * another Kysely application keeps two separate migration histories.
 */
export const MIGRATION_TABLE = 'imgpipe_migration'
export const MIGRATION_LOCK_TABLE = 'imgpipe_migration_lock'

/** Every migration by name; names sort in the order they must run. Never edit one that has shipped. */
export function catalogMigrations(kind: SqlDialectKind): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(kind),
    '0002-nullable-difference-key': nullableDifferenceKeyMigration(kind),
    '0003-subscriptions': subscriptionsMigration(kind),
    '0004-objects': objectsMigration(kind),
    '0005-observation-columns': observationColumnsMigration(kind),
    '0006-science': scienceMigration(kind),
  }
}

/** Runs the pending migrations; returns the names of those it applied (none when up to date). */
export async function migrateCatalog(db: Kysely<unknown>, kind: SqlDialectKind): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => catalogMigrations(kind) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) throw error
  const applied = (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
  // The original's create script run after imgpipe's migrations re-creates bare tables: take them over too.
  if (await needsAdoption(db)) {
    await db.transaction().execute((trx) => adoptOriginalTables(trx, kind))
    applied.push('take-over-original-tables')
    // The original's script can drop its tables only after the delivery tables that reference them: bring those back.
    const tables = new Set((await db.introspection.getTables()).map((table) => table.name))
    if (DELIVERY_TABLES_CHILDREN_FIRST.some((table) => !tables.has(table))) {
      for (const table of DELIVERY_TABLES_CHILDREN_FIRST) await db.schema.dropTable(table).ifExists().execute()
      await subscriptionsMigration(kind).up(db)
    }
  }
  return applied
}

/** Drops the catalog's tables (children first) and the migration history: `reset()` migrates again after. */
export async function dropCatalog(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    ...SCIENCE_TABLES_CHILDREN_FIRST,
    ...OBJECT_TABLES_CHILDREN_FIRST,
    ...DELIVERY_TABLES_CHILDREN_FIRST,
    ...TABLES_CHILDREN_FIRST,
    MIGRATION_TABLE,
    MIGRATION_LOCK_TABLE,
  ]) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
