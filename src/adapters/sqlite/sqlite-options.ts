/** Where a SQLite catalog lives. */
export interface SqliteCatalogOptions {
  /** The database file (resolved against the cwd), or `:memory:` for a private in-memory database. */
  path: string
}

/** `sqlite:<path>`: where the catalog is. */
export function describeSqliteCatalog(options: SqliteCatalogOptions): string {
  return `sqlite:${options.path}`
}
