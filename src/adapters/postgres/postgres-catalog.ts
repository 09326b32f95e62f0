import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { CatalogDatabase } from '../sql/catalog-schema.js'
import { countingDialect } from '../sql/counting-dialect.js'
import { createSqlCatalog } from '../sql/sql-catalog.js'
import { describePostgresCatalog, type PostgresCatalogOptions } from './postgres-options.js'
import type { SqlBackend, SqlCatalog } from '../sql/sql-catalog.js'
import type { DriverError, DriverErrorClass } from '../sql/sql-errors.js'

/**
 * The catalog on PostgreSQL through a pg Pool behind the shared Kysely query module. Timestamps are
 * `timestamptz(3)`, so they are instants whatever the session time zone; `bigint` and `count(*)` come
 * back as strings and are converted by the row mappers. The pool is created on the first query.
 */

/** SQLSTATE classes and codes by meaning (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
const TRANSIENT_CODES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovery)
  '57014', // query_canceled (statement_timeout)
  '55P03', // lock_not_available
  '25006', // read_only_sql_transaction: a standby, e.g. during a failover
])
const CONTENTION_CODES = new Set(['40001', '40P01']) // serialization_failure, deadlock_detected
const REFUSED_CODES = new Set(['3D000', '42501']) // invalid_catalog_name (no such database), insufficient_privilege
/** pg's own connection errors carry no code. */
const TRANSIENT_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|is not queryable|Connection refused/i
const REFUSED_MESSAGES = /does not support SSL|client password must be a string|SASL/i

export function classifyPostgresError(error: DriverError): DriverErrorClass | null {
  const code = error.code ?? ''
  if (/^[0-9A-Z]{5}$/.test(code)) {
    if (CONTENTION_CODES.has(code)) return 'contention'
    if (TRANSIENT_CODES.has(code)) return 'transient'
    if (REFUSED_CODES.has(code)) return 'refused'
    if (code === '42P01') return 'no-schema' // undefined_table
    const sqlClass = code.slice(0, 2)
    // 08 connection exception, 53 insufficient resources (too many connections, disk full), 58 I/O error.
    if (sqlClass === '08' || sqlClass === '53' || sqlClass === '58') return 'transient'
    if (sqlClass === '28') return 'refused' // invalid authorization
    // 23 integrity constraint violation, 22 data exception (value too long, out of range).
    if (sqlClass === '23' || sqlClass === '22') return 'conflict'
  }
  if (TRANSIENT_MESSAGES.test(error.message)) return 'transient'
  if (REFUSED_MESSAGES.test(error.message)) return 'refused'
  return null
}

/** The catalog in a PostgreSQL database; the password is used to connect and nowhere else. */
export function openPostgresCatalog(options: PostgresCatalogOptions): SqlCatalog {
  return createSqlCatalog(openPostgresBackend(options))
}

/** The connection pool and error classifier under {@link openPostgresCatalog}. */
export function openPostgresBackend(options: PostgresCatalogOptions): SqlBackend {
  const db = new Kysely<CatalogDatabase>({
    dialect: countingDialect(
      new PostgresDialect({
        pool: async () => {
          const pool = new pg.Pool({
            host: options.host,
            port: options.port,
            user: options.user,
            password: options.password,
            database: options.database,
            ssl: options.ssl ? { rejectUnauthorized: true } : false,
            max: 10,
            // pg waits forever for a connection by default; a dead server must fail (and be retried) instead.
            connectionTimeoutMillis: 10_000,
            keepAlive: true,
            application_name: 'imgpipe',
          })
          // A client losing its server emits 'error': on the pool while idle, on the client itself while checked
          // out (between the statements of a transaction, say), where pg-pool listens no more. Either would crash
          // the process unhandled; the next query fails on its own and is mapped to CatalogUnavailableError.
          pool.on('error', () => undefined)
          pool.on('connect', (client) => client.on('error', () => undefined))
          return pool
        },
      }),
    ),
  })
  return {
    kind: 'postgres',
    description: describePostgresCatalog(options),
    db,
    classifyError: classifyPostgresError,
    release: () => db.destroy(),
  }
}
