import { describeServer, type SqlServerDefaults, type SqlServerOptions } from '../sql/sql-server-options.js'

/** Where a PostgreSQL catalog lives (`postgres://user@host:5432/db`; the password never in the URL). */
export type PostgresCatalogOptions = SqlServerOptions

/** What a `postgres://` URL leaves out: the server's port and user, and the password variable of libpq. */
export const POSTGRES_URL_DEFAULTS: SqlServerDefaults = { port: 5432, user: 'postgres', passwordVariable: 'PGPASSWORD' }

/** `postgres://user@host:port/db`, without the password. */
export function describePostgresCatalog(options: PostgresCatalogOptions): string {
  return describeServer('postgres', options)
}
