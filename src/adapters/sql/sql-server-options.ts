import { decode, invalid, type Env, type UrlContext } from '../../core/setting-values.js'

/** Where a MySQL/MariaDB or PostgreSQL catalog lives (MysqlCatalogOptions and PostgresCatalogOptions are this). */
export interface SqlServerOptions {
  host: string
  port: number
  user: string
  /** Never logged nor part of `description`. */
  password: string | undefined
  database: string
  /** TLS with certificate verification (Node's CAs plus NODE_EXTRA_CA_CERTS, e.g. the RDS bundle). */
  ssl: boolean
}

/** `mysql://user@host:port/db`: where the catalog is, without the password. */
export function describeServer(scheme: 'mysql' | 'postgres', options: SqlServerOptions): string {
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return `${scheme}://${options.user}@${host}:${options.port}/${options.database}`
}

/** What a server's URL leaves out, each written by the adapter it belongs to (mysql-options.ts, postgres-options.ts). */
export interface SqlServerDefaults {
  port: number
  user: string
  /** The driver's own password variable (MYSQL_PWD, PGPASSWORD), read when the setting gives none. */
  passwordVariable: string
}

/** What the URL's parser needs besides the URL: the password's setting, given apart from the URL. */
export interface SqlServerUrlContext extends UrlContext {
  env: Env
  /** The password setting's value, if given. */
  password: string | undefined
  /** The password setting's name, for the message of a URL that carries one. */
  passwordSetting: string
}

const SSL_ON: readonly string[] = ['true', '1', 'require', 'verify-ca', 'verify-full']
const SSL_OFF: readonly string[] = ['', 'false', '0', 'disable', 'allow', 'prefer']

/**
 * `mysql://user@host:port/db` or `postgres://user@host:port/db` (with `?ssl=`/`?sslmode=`), already parsed as
 * `url`, into the server's options. The password never comes from the URL: the password setting, else the
 * driver's own variable.
 */
export function sqlServerFromUrl(value: string, url: URL, context: SqlServerUrlContext, defaults: SqlServerDefaults): SqlServerOptions {
  const bad = (why: string): Error => invalid(context.variable, value, why)
  if (url.password !== '' || url.searchParams.has('password')) throw bad(`put the password in ${context.passwordSetting}, not in the URL`)
  const database = decode(context, value, url.pathname.replace(/^\//, ''))
  if (database === '' || database.includes('/')) throw bad('name one database in the path, e.g. /imgpipe')
  if (url.hostname === '') throw bad('no host')
  const port = url.port === '' ? defaults.port : Number(url.port)
  const user = decode(context, value, url.username) || defaults.user
  const sslValue = url.searchParams.get('ssl') ?? url.searchParams.get('sslmode') ?? ''
  // An unrecognised value is an error rather than a silent plain-text connection.
  if (!SSL_ON.includes(sslValue) && !SSL_OFF.includes(sslValue)) {
    throw bad(`ssl/sslmode must be one of ${[...SSL_ON, ...SSL_OFF.slice(1)].join(', ')}`)
  }
  const password = context.password ?? context.env[defaults.passwordVariable]
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port, user, database, password, ssl: SSL_ON.includes(sslValue) }
}
