/**
 * Which adapter serves each port, and its options: what the configuration turns env vars and flags into
 * (once, at the edge). Each variant is the adapter's own options type, and each description is the adapter's
 * own, so that `imgpipe status`, summaries and the adapters' logs name a place the same way, without
 * credentials. Each URL is parsed by the adapter it names (its options file); only the choice of adapter by
 * scheme is here. Small option files: nothing here loads a client library.
 */
import { invalid, type UrlContext } from '../core/setting-values.js'
import {
  describeFsObjectStore,
  fsFromUrl,
  isFsObjectStoreMissing,
  removeEmptyFsPrefix,
  type FsObjectStoreOptions,
} from './fs/fs-options.js'
import { describeKafkaBrokers, kafkaFromUrl, type KafkaBrokerOptions, type KafkaUrlContext } from './kafka/kafka-options.js'
import { describeMemoryBackend } from './memory/memory-options.js'
import { describeMysqlCatalog, MYSQL_URL_DEFAULTS, type MysqlCatalogOptions } from './mysql/mysql-options.js'
import { describePostgresCatalog, POSTGRES_URL_DEFAULTS, type PostgresCatalogOptions } from './postgres/postgres-options.js'
import { describeS3ObjectStore, s3FromUrl, type S3ObjectStoreOptions } from './s3/s3-options.js'
import { sqlServerFromUrl, type SqlServerUrlContext } from './sql/sql-server-options.js'
import { describeSqliteCatalog, isSqliteCatalogMissing, sqliteFromUrl, type SqliteCatalogOptions } from './sqlite/sqlite-options.js'

export type CatalogOptions =
  ({ kind: 'sqlite' } & SqliteCatalogOptions) | ({ kind: 'mysql' } & MysqlCatalogOptions) | ({ kind: 'postgres' } & PostgresCatalogOptions)

export type ObjectStoreOptions = ({ kind: 'file' } & FsObjectStoreOptions) | { kind: 'memory' } | ({ kind: 's3' } & S3ObjectStoreOptions)

export type BusOptions = { kind: 'memory' } | ({ kind: 'kafka' } & KafkaBrokerOptions)

/**
 * `sqlite:<path>`, `mysql://user@host:port/db` or `postgres://user@host:port/db` into the catalog adapter's
 * options. The password never comes from the URL (see SqlServerUrlContext).
 */
export function catalogFromUrl(value: string, context: SqlServerUrlContext): CatalogOptions {
  if (value.startsWith('sqlite:')) return { kind: 'sqlite', ...sqliteFromUrl(value, context) }
  const bad = (why: string): Error => invalid(context.variable, value, why)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw bad('expected sqlite:<path>, mysql://user@host:port/db or postgres://user@host:port/db')
  }
  const scheme = url.protocol.slice(0, -1)
  if (scheme === 'mysql' || scheme === 'mariadb') return { kind: 'mysql', ...sqlServerFromUrl(value, url, context, MYSQL_URL_DEFAULTS) }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return { kind: 'postgres', ...sqlServerFromUrl(value, url, context, POSTGRES_URL_DEFAULTS) }
  }
  throw bad(`unknown scheme "${scheme}:" (use sqlite:, mysql:, mariadb:, postgres:)`)
}

/** `file:<dir>`, `memory:` or `s3://bucket[/prefix][?…]` into the store adapter's options. */
export function objectStoreFromUrl(value: string, context: UrlContext): ObjectStoreOptions {
  if (value === 'memory:') return { kind: 'memory' }
  if (value.startsWith('file:')) return { kind: 'file', ...fsFromUrl(value, context) }
  if (value.startsWith('s3://')) return { kind: 's3', ...s3FromUrl(value, context) }
  throw invalid(context.variable, value, 'expected file:<dir>, s3://bucket[/prefix][?endpoint=...&region=...&forcePathStyle=true]')
}

/** `memory:`, `kafka://host:port,...` or `kafkas://host:port,...` (TLS) into the bus adapter's options. */
export function busFromUrl(value: string, context: KafkaUrlContext): BusOptions {
  return value === 'memory:' ? { kind: 'memory' } : { kind: 'kafka', ...kafkaFromUrl(value, context) }
}

/** Where the catalog is: no credentials, ever. */
export function describeCatalog(options: CatalogOptions): string {
  switch (options.kind) {
    case 'sqlite':
      return describeSqliteCatalog(options)
    case 'mysql':
      return describeMysqlCatalog(options)
    case 'postgres':
      return describePostgresCatalog(options)
  }
}

/** Where the objects are: no credentials, ever. */
export function describeObjectStore(options: ObjectStoreOptions): string {
  switch (options.kind) {
    case 'file':
      return describeFsObjectStore(options)
    case 'memory':
      return describeMemoryBackend()
    case 's3':
      return describeS3ObjectStore(options)
  }
}

/** Where the messages go: no credentials, ever. */
export function describeBus(options: BusOptions): string {
  return options.kind === 'memory' ? describeMemoryBackend() : describeKafkaBrokers(options)
}

/**
 * True when the catalog is known not to exist yet (a SQLite file that is not there), so that opening it would
 * create an empty one. A database server's catalog is only known once connected: false.
 */
export function isCatalogMissing(options: CatalogOptions): boolean {
  return options.kind === 'sqlite' && isSqliteCatalogMissing(options)
}

/** True when the store is known not to exist yet (a directory that is not there); a bucket is only known once asked: false. */
export function isObjectStoreMissing(options: ObjectStoreOptions): boolean {
  return options.kind === 'file' && isFsObjectStoreMissing(options)
}

/** After deleting every object under `prefix`: removes what a directory store keeps of it. Other stores keep nothing. */
export async function removeEmptyPrefix(options: ObjectStoreOptions, prefix: string): Promise<void> {
  if (options.kind === 'file') await removeEmptyFsPrefix(options, prefix)
}
