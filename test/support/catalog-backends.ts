/**
 * Catalogs for tests: every backend gives a fresh, empty catalog in a database of its own (a temp file,
 * `:memory:`, or a new `imgpipe_t_<unique>` database on the test MariaDB/PostgreSQL server, created through
 * the application user) and a cleanup that closes it and drops that database. The contract suite runs
 * against each; end-to-end suites reuse them, and use `freshDatabaseUrl` when they spawn the CLI.
 *
 * The catalogs are not migrated: call `migrate()` (the pipeline's own start-up does).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import type { KyselyPlugin } from 'kysely'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { openMysqlBackend, openMysqlCatalog } from '../../src/adapters/mysql/mysql-catalog.js'
import { openPostgresBackend, openPostgresCatalog } from '../../src/adapters/postgres/postgres-catalog.js'
import { migrateCatalog } from '../../src/adapters/sql/catalog-migrations.js'
import type { CatalogDatabase } from '../../src/adapters/sql/catalog-schema.js'
import type { SqlCatalog } from '../../src/adapters/sql/sql-catalog.js'
import { openSqliteBackend, openSqliteCatalog } from '../../src/adapters/sqlite/sqlite-catalog.js'
import { parseDatabaseUrl } from './setting-parsers.js'
import type { CatalogOptions } from '../../src/adapters/backend-options.js'
import { serviceUrl, TEST_ENV, uniqueName } from './integration.js'
import { catalogWithRawSql, rawSqlCatalog, type RawSqlCatalog, type SqlCatalogWithRaw } from './raw-sql.js'

export type ServerDatabaseConfig = Extract<CatalogOptions, { kind: 'mysql' | 'postgres' }>

/** A catalog to test and how to throw it (and its database) away afterwards. */
export interface OpenedCatalog {
  catalog: SqlCatalog
  /** A raw statement on the catalog's own connections (see test/support/raw-sql.ts). */
  executeSql: RawSqlCatalog['executeSql']
  /** Another catalog on the same database (absent for `:memory:`, which is private). Close it yourself. */
  reopen?(): SqlCatalog
  cleanup(): Promise<void>
}

export interface CatalogBackend {
  name: 'sqlite-file' | 'sqlite-memory' | 'mariadb' | 'postgres'
  kind: 'sqlite' | 'mysql' | 'postgres'
  /** A fresh, empty (not yet migrated) catalog in a database nobody else uses. */
  open(): Promise<OpenedCatalog>
}

/** A database for a spawned CLI: IMGPIPE_DATABASE_URL and IMGPIPE_DATABASE_PASSWORD, and its removal. */
export interface FreshDatabase {
  /** No password inside: pass `password` as IMGPIPE_DATABASE_PASSWORD. */
  url: string
  password: string | undefined
  config: CatalogOptions
  /** Opens a catalog on the same database, e.g. to check what the CLI wrote. Close it yourself. */
  openCatalog(): SqlCatalogWithRaw
  /** Drops the database (or removes the temp directory). */
  cleanup(): Promise<void>
}

export const sqliteFileBackend: CatalogBackend = {
  name: 'sqlite-file',
  kind: 'sqlite',
  async open() {
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-catalog-'))
    // A subdirectory that does not exist yet: the adapter must create it.
    const file = path.join(dir, 'data', 'imgpipe.db')
    const { catalog, executeSql } = rawSqlCatalog(openSqliteBackend({ path: file }))
    return {
      catalog,
      executeSql,
      reopen: () => openSqliteCatalog({ path: file }),
      async cleanup() {
        await catalog.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  },
}

/** The embedded "memory fake": a private in-memory SQLite database per catalog. */
export const sqliteMemoryBackend: CatalogBackend = {
  name: 'sqlite-memory',
  kind: 'sqlite',
  async open() {
    const { catalog, executeSql } = rawSqlCatalog(openSqliteBackend({ path: ':memory:' }))
    return { catalog, executeSql, cleanup: () => catalog.close() }
  },
}

const serverChecked: Partial<Record<'mysql' | 'postgres', ServerDatabaseConfig | null>> = {}

/**
 * The test server's config from IMGPIPE_TEST_MYSQL_URL/_PASSWORD or IMGPIPE_TEST_POSTGRES_URL/_PASSWORD,
 * or null with the skip reason logged (under CI=true a missing URL throws).
 */
export function testServerConfig(kind: 'mysql' | 'postgres'): ServerDatabaseConfig | null {
  if (!(kind in serverChecked)) {
    const variable = kind === 'mysql' ? TEST_ENV.mysqlUrl : TEST_ENV.postgresUrl
    const url = serviceUrl(variable, kind === 'mysql' ? 'MariaDB/MySQL' : 'PostgreSQL')
    if (url === null) serverChecked[kind] = null
    else {
      const password = process.env[kind === 'mysql' ? TEST_ENV.mysqlPassword : TEST_ENV.postgresPassword]
      const config = parseDatabaseUrl(url, process.cwd(), {}, password === '' ? undefined : password)
      if (config.kind !== kind) throw new Error(`${variable} must be a ${kind} URL`)
      serverChecked[kind] = config
    }
  }
  return serverChecked[kind] ?? null
}

/** Runs one administrative statement as the application user, on its own short-lived connection. */
async function administer(config: ServerDatabaseConfig, statement: string): Promise<void> {
  if (config.kind === 'mysql') {
    // No default database: the one being dropped may be the only one we could have named.
    const connection = await mysql.createConnection({ host: config.host, port: config.port, user: config.user, password: config.password })
    try {
      await connection.query(statement)
    } finally {
      await connection.end()
    }
    return
  }
  const client = new pg.Client({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
  })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/** Creates `imgpipe_t_<unique>` on the test server; the name is generated, so quoting it is safe. */
export async function createServerDatabase(
  kind: 'mysql' | 'postgres',
): Promise<{ config: ServerDatabaseConfig; drop(): Promise<void> } | null> {
  const server = testServerConfig(kind)
  if (server === null) return null
  const database = uniqueName('imgpipe_t_')
  const config: ServerDatabaseConfig = { ...server, database }
  if (kind === 'mysql') await administer(server, `CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
  else await administer(server, `CREATE DATABASE "${database}"`)
  let dropped = false
  return {
    config,
    async drop() {
      if (dropped) return
      dropped = true
      // FORCE ends connections a failed test left open (PostgreSQL 13+).
      if (kind === 'mysql') await administer(server, `DROP DATABASE IF EXISTS \`${database}\``)
      else await administer(server, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
    },
  }
}

function openServerCatalog(config: ServerDatabaseConfig): SqlCatalog {
  return config.kind === 'mysql' ? openMysqlCatalog(config) : openPostgresCatalog(config)
}

function serverBackend(name: 'mariadb' | 'postgres', kind: 'mysql' | 'postgres'): CatalogBackend | null {
  if (testServerConfig(kind) === null) return null
  return {
    name,
    kind,
    async open() {
      const created = await createServerDatabase(kind)
      if (created === null) throw new Error(`${name} test server disappeared`)
      const { catalog, executeSql } = rawSqlCatalog(
        created.config.kind === 'mysql' ? openMysqlBackend(created.config) : openPostgresBackend(created.config),
      )
      return {
        catalog,
        executeSql,
        reopen: () => openServerCatalog(created.config),
        async cleanup() {
          try {
            await catalog.close()
          } finally {
            await created.drop()
          }
        },
      }
    },
  }
}

/** Null when IMGPIPE_TEST_MYSQL_URL is not set (the suite should skip then). */
export function mariadbBackend(): CatalogBackend | null {
  return serverBackend('mariadb', 'mysql')
}

/** Null when IMGPIPE_TEST_POSTGRES_URL is not set (the suite should skip then). */
export function postgresBackend(): CatalogBackend | null {
  return serverBackend('postgres', 'postgres')
}

/** The backends that can run here: both SQLite variants always, the servers when configured. */
export function catalogBackends(): CatalogBackend[] {
  const servers = [mariadbBackend(), postgresBackend()].filter((backend): backend is CatalogBackend => backend !== null)
  return [sqliteFileBackend, sqliteMemoryBackend, ...servers]
}

/**
 * A fresh database for a spawned CLI: `sqlite` is a new temp dir (`sqlite:` URL to a file that does not
 * exist yet), `mysql`/`postgres` a new `imgpipe_t_<unique>` database on the test server (null when its
 * IMGPIPE_TEST_* URL is not set). Not migrated.
 */
export async function freshDatabaseUrl(kind: 'sqlite' | 'mysql' | 'postgres'): Promise<FreshDatabase | null> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-catalog-'))
    const file = path.join(dir, 'imgpipe.db')
    return {
      url: `sqlite:${file}`,
      password: undefined,
      config: { kind: 'sqlite', path: file },
      openCatalog: () => catalogWithRawSql(openSqliteBackend({ path: file })),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    }
  }
  const created = await createServerDatabase(kind)
  if (created === null) return null
  const { config } = created
  const scheme = kind === 'mysql' ? 'mysql' : 'postgres'
  return {
    url: `${scheme}://${encodeURIComponent(config.user)}@${config.host}:${config.port}/${config.database}`,
    password: config.password,
    config,
    openCatalog: () => catalogWithRawSql(config.kind === 'mysql' ? openMysqlBackend(config) : openPostgresBackend(config)),
    cleanup: () => created.drop(),
  }
}

/** A bare Kysely on the catalog schema that records every statement it runs: for the query modules' tests. */
export interface RecordingKysely {
  db: Kysely<CatalogDatabase>
  /** SQL of each statement run since the last `clear()`. */
  statements: string[]
  clear(): void
  close(): Promise<void>
}

/** A private in-memory SQLite database, migrated, with foreign keys on, recording its statements. */
export async function recordingMemoryKysely(plugins: KyselyPlugin[] = []): Promise<RecordingKysely> {
  const raw = new Database(':memory:')
  raw.pragma('foreign_keys = ON')
  const statements: string[] = []
  const db = new Kysely<CatalogDatabase>({
    dialect: new SqliteDialect({ database: raw }),
    plugins,
    log: (event) => {
      statements.push(event.query.sql)
    },
  })
  await migrateCatalog(db as Kysely<unknown>, 'sqlite')
  statements.length = 0
  return { db, statements, clear: () => void (statements.length = 0), close: () => db.destroy() }
}
