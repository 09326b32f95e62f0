import { describeServer, type SqlServerOptions } from '../sql/sql-server-options.js'

/** Where a PostgreSQL catalog lives (`postgres://user@host:5432/db`; the password never in the URL). */
export type PostgresCatalogOptions = SqlServerOptions

/** `postgres://user@host:port/db`, without the password. */
export function describePostgresCatalog(options: PostgresCatalogOptions): string {
  return describeServer('postgres', options)
}
