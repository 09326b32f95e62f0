import { sql } from 'kysely'
import type { SqlBackend, SqlCatalog } from '../../src/adapters/sql/sql-catalog.js'
import { createSqlCatalog } from '../../src/adapters/sql/sql-catalog.js'
import { toCatalogError } from '../../src/adapters/sql/sql-errors.js'

/** A catalog and a raw statement on its own connections (session settings, `:memory:` and pragmas included). */
export interface RawSqlCatalog {
  catalog: SqlCatalog
  /**
   * Runs a hand-written statement (the original's `INSERT`s, DDL, pragmas) and returns its rows; driver errors
   * are mapped as the catalog maps them. Takes no parameters: tests only, never user input.
   */
  executeSql(statement: string): Promise<Record<string, unknown>[]>
}

export function rawSqlCatalog(backend: SqlBackend): RawSqlCatalog {
  return {
    catalog: createSqlCatalog(backend),
    async executeSql(statement) {
      try {
        return (await sql.raw<Record<string, unknown>>(statement).execute(backend.db)).rows
      } catch (error) {
        throw toCatalogError(error, backend.classifyError, `catalog executeSql (${backend.description})`)
      }
    },
  }
}

/** The catalog itself with `executeSql` on it: for tests that play the original's hand-written statements. */
export type SqlCatalogWithRaw = SqlCatalog & Pick<RawSqlCatalog, 'executeSql'>

export function catalogWithRawSql(backend: SqlBackend): SqlCatalogWithRaw {
  const { catalog, executeSql } = rawSqlCatalog(backend)
  return Object.assign(catalog, { executeSql })
}
