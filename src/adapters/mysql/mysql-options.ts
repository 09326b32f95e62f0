import { describeServer, type SqlServerOptions } from '../sql/sql-server-options.js'

/** Where a MySQL/MariaDB catalog lives (`mysql://user@host:3306/db`; the password never in the URL). */
export type MysqlCatalogOptions = SqlServerOptions

/** `mysql://user@host:port/db`, without the password. */
export function describeMysqlCatalog(options: MysqlCatalogOptions): string {
  return describeServer('mysql', options)
}
