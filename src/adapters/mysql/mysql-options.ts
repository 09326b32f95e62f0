import { describeServer, type SqlServerDefaults, type SqlServerOptions } from '../sql/sql-server-options.js'

/** Where a MySQL/MariaDB catalog lives (`mysql://user@host:3306/db`; the password never in the URL). */
export type MysqlCatalogOptions = SqlServerOptions

/** What a `mysql://` URL leaves out: the server's port and user, and the password variable of MySQL's clients. */
export const MYSQL_URL_DEFAULTS: SqlServerDefaults = { port: 3306, user: 'root', passwordVariable: 'MYSQL_PWD' }

/** `mysql://user@host:port/db`, without the password. */
export function describeMysqlCatalog(options: MysqlCatalogOptions): string {
  return describeServer('mysql', options)
}
