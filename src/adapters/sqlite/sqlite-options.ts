import { existsSync } from 'node:fs'
import path from 'node:path'
import { localPath, type UrlContext } from '../../core/setting-values.js'

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

/** The catalog file when IMGPIPE_DATABASE_URL is unset (or just `sqlite:`), relative to the cwd. */
export const DEFAULT_SQLITE_FILE = 'data/imgpipe.db'

/** `sqlite:<path>`, `sqlite:` (the default file) or `sqlite::memory:` into the adapter's options. */
export function sqliteFromUrl(value: string, context: UrlContext): SqliteCatalogOptions {
  const rest = value.slice('sqlite:'.length)
  if (rest === '') return { path: path.resolve(context.cwd, DEFAULT_SQLITE_FILE) }
  if (rest === ':memory:') return { path: ':memory:' }
  return { path: localPath(context, value, rest) }
}
