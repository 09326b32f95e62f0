import { sql } from 'kysely'
import type { ColumnDataType, ColumnDefinitionBuilder, CreateTableBuilder, RawBuilder } from 'kysely'

/**
 * The few places where the three databases differ, kept out of the query module: id generation,
 * timestamp storage, table options and how a timestamp is bound as a parameter.
 */
export type SqlDialectKind = 'sqlite' | 'mysql' | 'postgres'

/**
 * SQLite has no date type: ISO-8601 UTC text with milliseconds sorts and parses the same everywhere.
 * MySQL's `DATETIME(3)` is read and written in UTC (session time_zone and mysql2 `timezone: 'Z'`).
 */
export function timestampType(kind: SqlDialectKind): ColumnDataType {
  switch (kind) {
    case 'sqlite':
      return 'text'
    case 'mysql':
      return 'datetime(3)'
    case 'postgres':
      return 'timestamptz(3)'
  }
}

/** Column default for hand-written inserts; the catalog itself always binds `new Date()`. */
export function timestampDefault(kind: SqlDialectKind): RawBuilder<unknown> {
  switch (kind) {
    case 'sqlite':
      // Parenthesised: SQLite only accepts an expression default inside parentheses.
      return sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`
    case 'mysql':
      return sql`CURRENT_TIMESTAMP(3)`
    case 'postgres':
      return sql`now()`
  }
}

/** `integer` primary key that the database numbers: AUTOINCREMENT, AUTO_INCREMENT or an identity. */
export function autoIncrementPrimaryKey(kind: SqlDialectKind): (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
  // SQLite's AUTOINCREMENT never reuses the id of a deleted row, like the other two: alert numbers stay unique.
  if (kind === 'postgres') return (column) => column.generatedByDefaultAsIdentity().primaryKey()
  return (column) => column.autoIncrement().primaryKey()
}

/**
 * MySQL table options: InnoDB for foreign keys and transactions; utf8mb4 with a binary collation so that
 * keys, streams and file names compare exactly (case- and accent-sensitive) as on SQLite and PostgreSQL.
 */
export function tableOptions<T extends CreateTableBuilder<string, string>>(kind: SqlDialectKind): (builder: T) => T {
  if (kind !== 'mysql') return (builder) => builder
  return (builder) => builder.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`) as T
}

/** How a timestamp is bound: better-sqlite3 cannot bind a `Date`; mysql2 and pg convert it in UTC. */
export function toDbTimestamp(kind: SqlDialectKind, date: Date): Date | string {
  return kind === 'sqlite' ? date.toISOString() : date
}
