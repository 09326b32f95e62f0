import type { Page } from './page.js'

/** The original's three tables, in dependency order. */
export const CATALOG_TABLES = ['image_metadata', 'image_event', 'image_event_alert'] as const
export type CatalogTable = (typeof CATALOG_TABLES)[number]

/** Which images `resetForReanalysis` sets back to `received`. */
export interface ReanalysisFilter {
  stream?: string
  /** Only failed images; otherwise analysed ones too. */
  failedOnly: boolean
  /** Only images numbered from this one on. */
  fromImageNum?: number
}

/**
 * The catalog as operators handle it (`imgpipe db …`, `reanalyze`, `status`) and as whoever opened it closes it:
 * the schema, the connection, raw rows, and the destructive resets. No stage calls these but `close`.
 */
export interface CatalogAdmin {
  /** Human-readable location without credentials, e.g. `sqlite:/abs/data/imgpipe.db`. */
  readonly description: string
  /**
   * Creates or upgrades the schema; never drops data. Safe to call concurrently from several processes.
   * Returns the names of the migrations it applied (none when the schema was up to date).
   */
  migrate(): Promise<string[]>
  /** Cheap round-trip that throws CatalogUnavailableError when the database does not answer. */
  ping(): Promise<void>
  close(): Promise<void>
  /** Raw rows of one table, ascending by id, with the column names as in the database. */
  tableRows(table: CatalogTable, page: Page): Promise<Record<string, unknown>[]>
  tableCounts(): Promise<Record<CatalogTable, number>>
  /**
   * Sets the chosen images back to `received`, analysis cleared, for `imgpipe reanalyze`; returns how many.
   * Images that failed on receipt (never valid bytes) are left failed; events and alerts are kept.
   */
  resetForReanalysis(filter: ReanalysisFilter): Promise<number>
  /** Deletes every row, keeps the schema. */
  emptyTables(): Promise<void>
  /** Drops the tables and recreates them: destructive, for `imgpipe db reset --yes`. */
  reset(): Promise<void>
}
