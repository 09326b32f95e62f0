import { sql } from 'kysely'
import type { Kysely } from 'kysely'
import { CatalogConflictError } from '../../core/errors.js'
import { catalogTableSpecs, columnTypeName, createCatalogTable, type TableSpec } from './catalog-tables.js'
import type { SqlDialectKind } from './sql-dialect.js'

/**
 * Take-over of tables the original pipeline created (`create_pipeline_database.py`): same names, only the
 * original's columns. Instead of failing with "table already exists", or declaring an incomplete schema up
 * to date, `migrate()` brings them to imgpipe's schema in place, rows kept:
 *
 * - MySQL/MariaDB and PostgreSQL: ALTER TABLE adds the missing columns (all NULL or defaulted), the unique
 *   (stream, image_num) key, indexes and foreign keys; `image_object_key` becomes NOT NULL varchar(512)
 *   (a NULL one is filled with the original's `image/<image_filename>`).
 * - SQLite cannot add constraints in place: the tables are rebuilt (copied aside, recreated, copied back,
 *   ids and AUTOINCREMENT counters kept) in the migration's transaction.
 *
 * The original's `UNIQUE (image_filename)` is dropped: imgpipe names rows by (stream, image_num), and the
 * same file name legitimately recurs (two streams, or an edited file ingested again). Rows stay unique by
 * (stream, image_num), and `image_object_key` keeps its unique index.
 *
 * A table with a column imgpipe does not know, or a known column of an incompatible type, is not touched:
 * the error names the table and the column.
 */

interface ExistingColumn {
  name: string
  dataType: string
}

const TYPE_FAMILIES: Array<[RegExp, RegExp]> = [
  [/^(integer|bigint)$/, /int|serial|number/i],
  [/^(varchar|char)/, /char|text|string|clob/i],
  [/^double/, /double|float|real|numeric|decimal/i],
  [/^(text|datetime|timestamptz)/, /time|date|text|char/i],
]

function compatible(wanted: string, actual: string): boolean {
  const family = TYPE_FAMILIES.find(([pattern]) => pattern.test(wanted))
  return family === undefined || family[1].test(actual)
}

/** Which of the catalog's tables exist, with their columns. */
export async function existingCatalogTables(db: Kysely<unknown>): Promise<Array<{ name: string; columns: ExistingColumn[] }>> {
  const names = new Set(['image_metadata', 'image_event', 'image_event_alert'])
  const tables = await db.introspection.getTables()
  return tables
    .filter((table) => !table.isView && names.has(table.name))
    .map((table) => ({ name: table.name, columns: table.columns.map((column) => ({ name: column.name, dataType: column.dataType })) }))
}

/** True when image_metadata exists without imgpipe's columns (the original re-created it after imgpipe's migration). */
export async function needsAdoption(db: Kysely<unknown>): Promise<boolean> {
  const metadata = (await existingCatalogTables(db)).find((table) => table.name === 'image_metadata')
  return metadata !== undefined && !metadata.columns.some((column) => column.name === 'stream')
}

export async function adoptOriginalTables(db: Kysely<unknown>, kind: SqlDialectKind): Promise<void> {
  // The latest schema at once: the migrations after the one that called this find their work done (0005 checks).
  const specs = catalogTableSpecs(kind, { nullableDifferenceKey: true, observationColumns: true })
  const existing = await existingCatalogTables(db)
  for (const table of existing)
    checkCompatible(
      table,
      specs.find((spec) => spec.name === table.name)!,
    )
  if (kind === 'sqlite') {
    await rebuildSqliteCatalog(db, specs)
    return
  }
  for (const spec of specs) {
    const table = existing.find((candidate) => candidate.name === spec.name)
    if (table === undefined) await createCatalogTable(db, kind, spec)
    else await alterInPlace(db, kind, spec, new Set(table.columns.map((column) => column.name)))
  }
}

function checkCompatible(table: { name: string; columns: ExistingColumn[] }, spec: TableSpec): void {
  const primaryKey = spec.columns[0]!.name
  if (!table.columns.some((column) => column.name === primaryKey)) {
    throw new CatalogConflictError(`cannot take over table ${table.name}: it has no column ${primaryKey} (its primary key)`)
  }
  for (const column of table.columns) {
    const wanted = spec.columns.find((candidate) => candidate.name === column.name)
    if (wanted === undefined) {
      throw new CatalogConflictError(
        `cannot take over table ${table.name}: column ${column.name} is not one of the original's or imgpipe's; rename or drop it, or use another database`,
      )
    }
    if (!compatible(columnTypeName(wanted.type), column.dataType)) {
      throw new CatalogConflictError(
        `cannot take over table ${table.name}: column ${column.name} is ${column.dataType}, imgpipe needs ${columnTypeName(wanted.type)}`,
      )
    }
  }
}

async function alterInPlace(db: Kysely<unknown>, kind: 'mysql' | 'postgres', spec: TableSpec, columns: Set<string>): Promise<void> {
  // Keys, streams and file names compare exactly (binary collation), as in the tables imgpipe creates.
  if (kind === 'mysql') await sql`alter table ${sql.table(spec.name)} convert to character set utf8mb4 collate utf8mb4_bin`.execute(db)
  for (const column of spec.columns) {
    if (!columns.has(column.name))
      await db.schema
        .alterTable(spec.name)
        .addColumn(column.name, column.type, column.build ?? ((c) => c))
        .execute()
  }
  if (spec.name === 'image_metadata') await settleMetadataColumns(db, kind)
  const uniques = await constraintColumns(db, kind, spec.name, 'UNIQUE')
  for (const unique of spec.uniques) {
    if (!uniques.some((set) => sameColumns(set.columns, unique.columns))) {
      await db.schema.alterTable(spec.name).addUniqueConstraint(unique.name, unique.columns).execute()
    }
  }
  const indexes = await indexNames(db, kind, spec.name)
  for (const index of spec.indexes) {
    if (!indexes.has(index.name)) await db.schema.createIndex(index.name).on(spec.name).columns(index.columns).execute()
  }
  const foreignKeys = await constraintColumns(db, kind, spec.name, 'FOREIGN KEY')
  for (const fk of spec.foreignKeys) {
    if (foreignKeys.some((set) => sameColumns(set.columns, [fk.column]))) continue
    await db.schema
      .alterTable(spec.name)
      .addForeignKeyConstraint(fk.name, [fk.column], fk.references.table, [fk.references.column], (constraint) =>
        fk.onDeleteSetNull === true ? constraint.onDelete('set null') : constraint,
      )
      .execute()
  }
}

/** image_object_key NOT NULL varchar(512); the original's UNIQUE (image_filename) dropped (see above). */
async function settleMetadataColumns(db: Kysely<unknown>, kind: 'mysql' | 'postgres'): Promise<void> {
  const prefixed = kind === 'mysql' ? sql`concat('image/', image_filename)` : sql`'image/' || image_filename`
  await sql`update image_metadata set image_object_key = ${prefixed} where image_object_key is null`.execute(db)
  if (kind === 'mysql') {
    await db.schema
      .alterTable('image_metadata')
      .modifyColumn('image_object_key', 'varchar(512)', (column) => column.notNull())
      .execute()
  } else {
    await db.schema
      .alterTable('image_metadata')
      .alterColumn('image_object_key', (column) => column.setDataType('varchar(512)'))
      .execute()
    await db.schema
      .alterTable('image_metadata')
      .alterColumn('image_object_key', (column) => column.setNotNull())
      .execute()
  }
  for (const unique of await constraintColumns(db, kind, 'image_metadata', 'UNIQUE')) {
    if (!sameColumns(unique.columns, ['image_filename'])) continue
    if (kind === 'mysql') await sql`alter table image_metadata drop index ${sql.id(unique.name)}`.execute(db)
    else await db.schema.alterTable('image_metadata').dropConstraint(unique.name).execute()
  }
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column) => b.includes(column))
}

function schemaOf(kind: 'mysql' | 'postgres') {
  return kind === 'mysql' ? sql`database()` : sql`current_schema()`
}

/** Constraints of one type on a table, with their columns (information_schema: the same on both servers). */
async function constraintColumns(
  db: Kysely<unknown>,
  kind: 'mysql' | 'postgres',
  table: string,
  type: 'UNIQUE' | 'FOREIGN KEY',
): Promise<Array<{ name: string; columns: string[] }>> {
  const { rows } = await sql<{ name: string; column: string }>`
    select tc.constraint_name as name, kcu.column_name as ${sql.id('column')}
    from information_schema.table_constraints tc
    join information_schema.key_column_usage kcu
      on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema and kcu.table_name = tc.table_name
    where tc.table_schema = ${schemaOf(kind)} and tc.table_name = ${table} and tc.constraint_type = ${type}`.execute(db)
  const byName = new Map<string, string[]>()
  for (const row of rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row.column])
  return [...byName].map(([name, columns]) => ({ name, columns }))
}

export async function indexNames(db: Kysely<unknown>, kind: SqlDialectKind, table: string): Promise<Set<string>> {
  const { rows } =
    kind === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = ${table}`.execute(db)
      : kind === 'mysql'
        ? await sql<{ name: string }>`select index_name as name from information_schema.statistics
          where table_schema = database() and table_name = ${table}`.execute(db)
        : await sql<{
            name: string
          }>`select indexname as name from pg_indexes where schemaname = current_schema() and tablename = ${table}`.execute(db)
  return new Set(rows.map((row) => row.name))
}

/**
 * SQLite: copies the tables aside (temp tables), drops them children first, creates them from `specs` and
 * copies the rows back parents first, by id, with the columns both sides have. AUTOINCREMENT counters are
 * restored so ids are never reused. Runs inside the migration's transaction: all or nothing.
 */
export async function rebuildSqliteCatalog(db: Kysely<unknown>, specs: TableSpec[]): Promise<void> {
  const existing = await existingCatalogTables(db)
  const counters = new Map<string, number>()
  const sequence = await sql<{
    name: string
    seq: number
  }>`select name, seq from sqlite_master m join sqlite_sequence s on s.name = m.name where m.type = 'table'`
    .execute(db)
    .catch(() => ({ rows: [] as Array<{ name: string; seq: number }> }))
  for (const row of sequence.rows) counters.set(row.name, Number(row.seq))
  for (const table of existing) {
    await sql`create temp table ${sql.id(`imgpipe_copy_${table.name}`)} as select * from ${sql.table(table.name)}`.execute(db)
  }
  for (const spec of [...specs].reverse()) await sql`drop table if exists ${sql.table(spec.name)}`.execute(db)
  for (const spec of specs) await createCatalogTable(db, 'sqlite', spec)
  for (const spec of specs) {
    const table = existing.find((candidate) => candidate.name === spec.name)
    if (table === undefined) continue
    const have = new Set(table.columns.map((column) => column.name))
    const common = spec.columns.map((column) => column.name).filter((name) => have.has(name))
    const values = common.map((name) =>
      spec.name === 'image_metadata' && name === 'image_object_key'
        ? sql`coalesce(image_object_key, 'image/' || image_filename)`
        : sql.ref(name),
    )
    const copy = sql.table(`temp.imgpipe_copy_${spec.name}`)
    await sql`insert into ${sql.table(spec.name)} (${sql.join(common.map((name) => sql.ref(name)))})
      select ${sql.join(values)} from ${copy} order by ${sql.ref(spec.columns[0]!.name)}`.execute(db)
    await sql`drop table ${copy}`.execute(db)
    const counter = counters.get(spec.name)
    if (counter !== undefined) {
      await sql`update sqlite_sequence set seq = max(seq, ${counter}) where name = ${spec.name}`.execute(db)
      await sql`insert into sqlite_sequence (name, seq) select ${spec.name}, ${counter}
        where not exists (select 1 from sqlite_sequence where name = ${spec.name})`.execute(db)
    }
  }
}
