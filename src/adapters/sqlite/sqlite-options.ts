import { existsSync } from 'node:fs'

/** Where a SQLite catalog lives. */
export interface SqliteCatalogOptions {
  /** The database file (resolved against the cwd), or `:memory:` for a private in-memory database. */
  path: string
}

/** `sqlite:<path>`: where the catalog is. */
export function describeSqliteCatalog(options: SqliteCatalogOptions): string {
  return `sqlite:${options.path}`
}

/**
 * True when the database file is not there: opening the catalog would create it, empty. Commands that only
 * read (status, view) ask first, so that a mistyped path leaves no empty database behind.
 */
export function isSqliteCatalogMissing(options: SqliteCatalogOptions): boolean {
  return options.path !== ':memory:' && !existsSync(options.path)
}
