import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { CompiledQuery, Kysely, SqliteAdapter, SqliteDialect, SqliteDriver } from 'kysely'
import type { DatabaseConnection, DialectAdapter, Driver, SqliteDatabase, SqliteDialectConfig, SqliteStatement } from 'kysely'
import type { CatalogDatabase } from '../sql/catalog-schema.js'
import { countingDialect } from '../sql/counting-dialect.js'
import { createSqlCatalog } from '../sql/sql-catalog.js'
import type { SqlBackend, SqlCatalog } from '../sql/sql-catalog.js'
import { catalogMissingError } from '../sql/sql-errors.js'
import type { DriverError, DriverErrorClass } from '../sql/sql-errors.js'
import { describeSqliteCatalog, type SqliteCatalogOptions } from './sqlite-options.js'

/**
 * The embedded catalog: SQLite through better-sqlite3 12, behind the shared Kysely query module.
 *
 * Opening is lazy: the file (and its directory) is created on the first query, unless the catalog was opened
 * with `create: false` (commands that only read), which opens an existing file only. Pragmas: WAL so readers
 * never block the writer, synchronous=NORMAL (durable at checkpoints, the usual WAL pairing),
 * foreign_keys=ON (off by default in SQLite), busy_timeout=5000 so a second process waits for a writer.
 */

/** better-sqlite3 calls the catalog makes (Kysely's driver calls `prepare`, `close` and the statements). */
interface BetterSqliteDatabase extends SqliteDatabase {
  pragma(source: string): unknown
}

/** Statements kept prepared: the query module issues a few dozen distinct SQL texts. */
const STATEMENT_CACHE_SIZE = 256

/**
 * better-sqlite3 compiles a statement on every `prepare`, and Kysely prepares per query: caching by SQL
 * text makes a repeated query cost a bind and a step. Bounded, because `IN (...)` lists vary in length.
 */
function withStatementCache(database: BetterSqliteDatabase): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>()
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql)
      if (cached !== undefined) return cached
      const statement = database.prepare(sql)
      if (cache.size >= STATEMENT_CACHE_SIZE) {
        const oldest = cache.keys().next().value
        if (oldest !== undefined) cache.delete(oldest)
      }
      cache.set(sql, statement)
      return statement
    },
  }
}

function connect(file: string, create: boolean): BetterSqliteDatabase {
  if (file !== ':memory:' && create) mkdirSync(path.dirname(file), { recursive: true })
  if (!create && !existsSync(file)) throw catalogMissingError(describeSqliteCatalog({ path: file }))
  // fileMustExist: a file deleted between the check above and here is not created again, empty.
  const database = new Database(file, { fileMustExist: !create }) as unknown as BetterSqliteDatabase
  try {
    database.pragma('busy_timeout = 5000')
    database.pragma('journal_mode = WAL')
    database.pragma('synchronous = NORMAL')
    database.pragma('foreign_keys = ON')
  } catch (error) {
    database.close()
    throw error
  }
  return database
}

/**
 * Write transactions start with BEGIN IMMEDIATE: the write lock is taken (waiting busy_timeout) up front,
 * instead of a read lock that fails with SQLITE_BUSY when it must be upgraded while another process writes.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

/**
 * SQLite has transactional DDL; saying so makes Kysely's Migrator run in one (immediate) transaction,
 * which is its lock across processes: a second `migrate()` waits, then finds the migration recorded.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

class CatalogSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig
  constructor(config: SqliteDialectConfig) {
    super(config)
    this.#config = config
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config)
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter()
  }
}

function createKysely(file: string, create: () => boolean): Kysely<CatalogDatabase> {
  return new Kysely<CatalogDatabase>({
    dialect: countingDialect(new CatalogSqliteDialect({ database: async () => withStatementCache(connect(file, create())) })),
  })
}

/**
 * One connection per database file per process, shared by every catalog opened on it. SQLite has one
 * writer at a time and better-sqlite3 waits synchronously: two connections of one process would block
 * the event loop against each other. Sharing one (Kysely serialises its use) avoids that.
 */
const shared = new Map<string, { db: Kysely<CatalogDatabase>; users: number; create: boolean }>()

function acquire(file: string, create: boolean): { db: Kysely<CatalogDatabase>; release(): Promise<void> } {
  if (file === ':memory:') {
    const db = createKysely(file, () => true)
    return { db, release: () => db.destroy() }
  }
  let entry = shared.get(file)
  if (entry === undefined) {
    const created: { db: Kysely<CatalogDatabase>; users: number; create: boolean } = {
      db: createKysely(file, () => created.create),
      users: 0,
      create,
    }
    entry = created
    shared.set(file, entry)
  }
  // The connection opens on the first query: once any user of the file may create it, it is created.
  entry.create ||= create
  entry.users += 1
  const held = entry
  let released = false
  return {
    db: held.db,
    async release() {
      if (released) return
      released = true
      held.users -= 1
      if (held.users === 0) {
        shared.delete(file)
        await held.db.destroy()
      }
    },
  }
}

const TRANSIENT = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|PROTOCOL|INTERRUPT)/
const REFUSED = /^SQLITE_(CANTOPEN|READONLY|CORRUPT|NOTADB|PERM|AUTH)/

/** better-sqlite3's `SqliteError.code` (extended result codes) and Node's fs errors from creating the file. */
export function classifySqliteError(error: DriverError): DriverErrorClass | null {
  const code = error.code ?? ''
  if (code.startsWith('SQLITE_CONSTRAINT')) return 'conflict'
  if (code === 'SQLITE_TOOBIG' || code === 'SQLITE_MISMATCH') return 'conflict'
  if (TRANSIENT.test(code) || code === 'ENOSPC' || code === 'EMFILE') return 'transient'
  if (REFUSED.test(code) || ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR'].includes(code)) return 'refused'
  if (code === 'SQLITE_ERROR' && /^no such table/.test(error.message)) return 'no-schema'
  return null
}

/** The SQLite catalog at `path` (`:memory:` for a private in-memory database). */
export function openSqliteCatalog(options: SqliteCatalogOptions): SqlCatalog {
  return createSqlCatalog(openSqliteBackend(options))
}

/** The connection and error classifier under {@link openSqliteCatalog}. */
export function openSqliteBackend(options: SqliteCatalogOptions): SqlBackend {
  const file = options.path === ':memory:' ? ':memory:' : path.resolve(options.path)
  const create = options.create ?? true
  // Said before any query, so that a command that only reads fails at once, naming the command to run.
  if (!create && file !== ':memory:' && !existsSync(file)) throw catalogMissingError(describeSqliteCatalog({ path: file }))
  const { db, release } = acquire(file, create)
  const description = describeSqliteCatalog({ path: file })
  return { kind: 'sqlite', description, db, classifyError: classifySqliteError, release }
}
