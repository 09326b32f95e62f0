/**
 * Tells observers what the catalog asks of its database: every statement a connection executes (by kind) and
 * every transaction begun, committed or rolled back, published on the diagnostics channel
 * {@link SQL_OPERATION_CHANNEL}. It sits under Kysely, at the connection, rather than in a Kysely plugin: a plugin
 * never sees the `begin`/`commit` the driver sends itself, and those are round trips the database pays for too.
 *
 * Publishing costs nothing while nobody subscribes (`hasSubscribers`); the messages are shared frozen objects,
 * so a subscribed statement costs a lookup and a call, no allocation.
 */
import { channel } from 'node:diagnostics_channel'
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely'

/** Channel name; messages are {@link SqlOperation}. */
export const SQL_OPERATION_CHANNEL = 'imgpipe:sql:operation'

export type SqlStatementOp = 'select' | 'insert' | 'update' | 'delete' | 'other'
export type SqlTransactionOp = 'begin' | 'commit' | 'rollback'
export type SqlOperation =
  { readonly kind: 'sql_statement'; readonly op: SqlStatementOp } | { readonly kind: 'sql_transaction'; readonly op: SqlTransactionOp }

const operations = channel(SQL_OPERATION_CHANNEL)

const statement = (op: SqlStatementOp): SqlOperation => Object.freeze({ kind: 'sql_statement', op })
const transaction = (op: SqlTransactionOp): SqlOperation => Object.freeze({ kind: 'sql_transaction', op })
const SELECT = statement('select')
const OTHER = statement('other')
/** By Kysely's root node kind: the common case needs no look at the SQL text. */
const BY_NODE: Readonly<Record<string, SqlOperation>> = {
  SelectQueryNode: SELECT,
  InsertQueryNode: statement('insert'),
  UpdateQueryNode: statement('update'),
  DeleteQueryNode: statement('delete'),
}
/** Raw statements (`sql\`…\``, the drivers' own transaction control) by their first keyword. */
const BY_KEYWORD: Readonly<Record<string, SqlOperation>> = {
  select: SELECT,
  insert: BY_NODE['InsertQueryNode']!,
  update: BY_NODE['UpdateQueryNode']!,
  delete: BY_NODE['DeleteQueryNode']!,
  begin: transaction('begin'),
  start: transaction('begin'),
  commit: transaction('commit'),
  rollback: transaction('rollback'),
}

/** What one compiled query is, for counting. Exported for tests. */
export function classifySql(query: CompiledQuery): SqlOperation {
  const byNode = BY_NODE[query.query.kind]
  if (byNode !== undefined) return byNode
  const keyword = /^\s*([a-z]+)/i.exec(query.sql)?.[1]?.toLowerCase()
  // `rollback to savepoint` is no transaction's end.
  if (keyword === 'rollback' && /^\s*rollback\s+to\b/i.test(query.sql)) return OTHER
  return (keyword !== undefined ? BY_KEYWORD[keyword] : undefined) ?? OTHER
}

/** `dialect` with its connections reporting each statement on {@link SQL_OPERATION_CHANNEL}. */
export function countingDialect(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => countingDriver(dialect.createDriver()),
  }
}

/**
 * The driver as it is (its own classes, private fields and release hooks untouched); only each connection's
 * `executeQuery`/`streamQuery` is replaced once, when the pool first hands it out. The drivers send their
 * `begin`/`commit`/`rollback` through `executeQuery` too, so those are seen the same way.
 */
function countingDriver(driver: Driver): Driver {
  const patched = new WeakSet<DatabaseConnection>()
  const acquire = driver.acquireConnection.bind(driver)
  driver.acquireConnection = async () => {
    const connection = await acquire()
    if (!patched.has(connection)) {
      patched.add(connection)
      countStatements(connection)
    }
    return connection
  }
  return driver
}

function countStatements(connection: DatabaseConnection): void {
  const execute = connection.executeQuery.bind(connection)
  const stream = connection.streamQuery.bind(connection)
  connection.executeQuery = <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    if (operations.hasSubscribers) operations.publish(classifySql(query))
    return execute<R>(query)
  }
  connection.streamQuery = <R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> => {
    if (operations.hasSubscribers) operations.publish(classifySql(query))
    return stream<R>(query, chunkSize)
  }
}
