import path from 'node:path'
import type { CatalogOptions } from '../adapters/backend-options.js'
import { decode, invalid, localPath, type ParseContext } from './setting.js'

/** The catalog file when IMGPIPE_DATABASE_URL is unset (or just `sqlite:`), relative to the cwd. */
export const DEFAULT_SQLITE_FILE = 'data/imgpipe.db'

const SSL_ON: readonly string[] = ['true', '1', 'require', 'verify-ca', 'verify-full']
const SSL_OFF: readonly string[] = ['', 'false', '0', 'disable', 'allow', 'prefer']

/**
 * `sqlite:<path>`, `mysql://user@host:port/db` or `postgres://user@host:port/db` (with `?ssl=`/`?sslmode=`)
 * into the catalog adapter's options. The password never comes from the URL: IMGPIPE_DATABASE_PASSWORD,
 * else the driver's own MYSQL_PWD / PGPASSWORD.
 */
export function catalogFromUrl(value: string, context: ParseContext): CatalogOptions {
  if (value.startsWith('sqlite:')) {
    const rest = value.slice('sqlite:'.length)
    if (rest === '') return { kind: 'sqlite', path: path.resolve(context.cwd, DEFAULT_SQLITE_FILE) }
    if (rest === ':memory:') return { kind: 'sqlite', path: ':memory:' }
    return { kind: 'sqlite', path: localPath(context, value, rest) }
  }
  const bad = (why: string): Error => invalid(context.variable, value, why)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw bad('expected sqlite:<path>, mysql://user@host:port/db or postgres://user@host:port/db')
  }
  const scheme = url.protocol.slice(0, -1)
  const kind = scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : scheme === 'postgres' || scheme === 'postgresql' ? 'postgres' : null
  if (kind === null) throw bad(`unknown scheme "${scheme}:" (use sqlite:, mysql:, mariadb:, postgres:)`)
  if (url.password !== '' || url.searchParams.has('password')) {
    throw bad(`put the password in ${context.variableOf('databasePassword')}, not in the URL`)
  }
  const database = decode(context, value, url.pathname.replace(/^\//, ''))
  if (database === '' || database.includes('/')) throw bad('name one database in the path, e.g. /imgpipe')
  if (url.hostname === '') throw bad('no host')
  const defaultPort = kind === 'mysql' ? 3306 : 5432
  const port = url.port === '' ? defaultPort : Number(url.port)
  const user = decode(context, value, url.username) || (kind === 'mysql' ? 'root' : 'postgres')
  const sslValue = url.searchParams.get('ssl') ?? url.searchParams.get('sslmode') ?? ''
  // An unrecognised value is an error rather than a silent plain-text connection.
  if (!SSL_ON.includes(sslValue) && !SSL_OFF.includes(sslValue)) {
    throw bad(`ssl/sslmode must be one of ${[...SSL_ON, ...SSL_OFF.slice(1)].join(', ')}`)
  }
  const ssl = SSL_ON.includes(sslValue)
  const password = context.given('databasePassword') ?? (kind === 'mysql' ? context.env['MYSQL_PWD'] : context.env['PGPASSWORD'])
  return { kind, host: url.hostname.replace(/^\[|\]$/g, ''), port, user, database, password, ssl }
}
