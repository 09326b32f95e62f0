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
