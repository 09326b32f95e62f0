import { existsSync } from 'node:fs'

/** Where a SQLite catalog lives. */
export interface SqliteCatalogOptions {
  /** The database file (resolved against the cwd), or `:memory:` for a private in-memory database. */
  path: string
  /**
   * Create the file (and its directory) when it is not there: true (the default) for commands that write.
   * False for commands that only read: a missing file is then a NotFoundError naming `imgpipe db create`,
   * and nothing is left behind where the user mistyped the path.
   */
  create?: boolean
}

/** `sqlite:<path>`: where the catalog is. */
export function describeSqliteCatalog(options: Pick<SqliteCatalogOptions, 'path'>): string {
  return `sqlite:${options.path}`
}

/**
 * True when the database file is not there: opening the catalog would create it, empty. Commands that only
 * read (status, view) ask first, so that a mistyped path leaves no empty database behind.
 */
export function isSqliteCatalogMissing(options: Pick<SqliteCatalogOptions, 'path'>): boolean {
  return options.path !== ':memory:' && !existsSync(options.path)
}
