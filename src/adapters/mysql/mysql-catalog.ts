import { CompiledQuery, Kysely, MysqlDialect } from 'kysely'
import mysql from 'mysql2'
import type { CatalogDatabase } from '../sql/catalog-schema.js'
import { countingDialect } from '../sql/counting-dialect.js'
import { createSqlCatalog } from '../sql/sql-catalog.js'
import { describeMysqlCatalog, type MysqlCatalogOptions } from './mysql-options.js'
import type { SqlBackend, SqlCatalog } from '../sql/sql-catalog.js'
import type { DriverError, DriverErrorClass } from '../sql/sql-errors.js'

/**
 * The catalog on MySQL 8 (Amazon RDS) or MariaDB, through a mysql2 pool behind the shared Kysely query
 * module. Only MySQL 8 features are used: no RETURNING, no `CREATE INDEX IF NOT EXISTS`.
 *
 * Times are UTC end to end: mysql2 reads and writes `DATETIME(3)` as UTC (`timezone: 'Z'`) and every new
 * connection sets `time_zone = '+00:00'` so that the `CURRENT_TIMESTAMP(3)` defaults agree.
 * The pool (and the first connection) is created on the first query.
 */

/** mysql2 error codes by meaning; connection-level codes come from Node's net module (see sql-errors.ts). */
const TRANSIENT = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_USER_LIMIT_REACHED',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_OUT_OF_RESOURCES',
  'ER_CANT_CREATE_THREAD',
  'ER_LOCK_TABLE_FULL',
  // A read-only server: a replica just promoted or an RDS failover in progress.
  'ER_OPTION_PREVENTS_STATEMENT',
])
const CONTENTION = new Set(['ER_LOCK_DEADLOCK'])
const REFUSED = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_HOST_NOT_PRIVILEGED',
  'ER_HOST_IS_BLOCKED',
  'ER_NOT_SUPPORTED_AUTH_MODE',
  'ER_MUST_CHANGE_PASSWORD',
  'ER_MUST_CHANGE_PASSWORD_LOGIN',
])

export function classifyMysqlError(error: DriverError): DriverErrorClass | null {
  const code = error.code ?? ''
  if (CONTENTION.has(code)) return 'contention'
  if (REFUSED.has(code)) return 'refused'
  if (TRANSIENT.has(code)) return 'transient'
  if (code === 'ER_NO_SUCH_TABLE') return 'no-schema'
  // SQLSTATE class 23 (integrity: duplicate, foreign key, NOT NULL) and 22 (data: too long, out of range).
  if (error.sqlState?.startsWith('23') === true || error.sqlState?.startsWith('22') === true) return 'conflict'
  // mysql2 marks errors after which the connection is unusable; the pool replaces it.
  if (error.fatal) return 'transient'
  return null
}

/** The catalog in a MySQL/MariaDB database; the password is used to connect and nowhere else. */
export function openMysqlCatalog(options: MysqlCatalogOptions): SqlCatalog {
  return createSqlCatalog(openMysqlBackend(options))
}

/** The connection pool and error classifier under {@link openMysqlCatalog}. */
export function openMysqlBackend(options: MysqlCatalogOptions): SqlBackend {
  const db = new Kysely<CatalogDatabase>({
    dialect: countingDialect(
      new MysqlDialect({
        pool: async () =>
          mysql.createPool({
            host: options.host,
            port: options.port,
            user: options.user,
            password: options.password,
            database: options.database,
            ssl: options.ssl ? { rejectUnauthorized: true } : undefined,
            timezone: 'Z',
            dateStrings: false,
            // BIGINT and COUNT(*) as numbers; DECIMAL (from SUM) too, though the catalog avoids it.
            supportBigNumbers: true,
            bigNumberStrings: false,
            decimalNumbers: true,
            // Affected rows count changed rows, not matched ones: how an idempotent insert tells a new row
            // (1) from an existing one (0) after ON DUPLICATE KEY UPDATE id = id. See catalog-writes.ts.
            flags: ['-FOUND_ROWS'],
            connectionLimit: 10,
            connectTimeout: 10_000,
            enableKeepAlive: true,
          }),
        onCreateConnection: async (connection) => {
          await connection.executeQuery(CompiledQuery.raw("set time_zone = '+00:00'"))
        },
      }),
    ),
  })
  return {
    kind: 'mysql',
    description: describeMysqlCatalog(options),
    db,
    classifyError: classifyMysqlError,
    release: () => db.destroy(),
  }
}
