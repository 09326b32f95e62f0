/**
 * Which adapter serves each port, and its options: what the configuration turns env vars and flags into
 * (once, at the edge). Each variant is the adapter's own options type, and each description is the adapter's
 * own, so that `imgpipe status`, summaries and the adapters' logs name a place the same way, without
 * credentials. Type-only imports and small option files: nothing here loads a client library.
 */
import { describeFsObjectStore, isFsObjectStoreMissing, removeEmptyFsPrefix, type FsObjectStoreOptions } from './fs/fs-options.js'
import { describeKafkaBrokers, type KafkaBrokerOptions } from './kafka/kafka-options.js'
import { describeMemoryBackend } from './memory/memory-options.js'
import { describeMysqlCatalog, type MysqlCatalogOptions } from './mysql/mysql-options.js'
import { describePostgresCatalog, type PostgresCatalogOptions } from './postgres/postgres-options.js'
import { describeS3ObjectStore, type S3ObjectStoreOptions } from './s3/s3-options.js'
import { describeSqliteCatalog, isSqliteCatalogMissing, type SqliteCatalogOptions } from './sqlite/sqlite-options.js'

export type CatalogOptions =
  ({ kind: 'sqlite' } & SqliteCatalogOptions) | ({ kind: 'mysql' } & MysqlCatalogOptions) | ({ kind: 'postgres' } & PostgresCatalogOptions)

export type ObjectStoreOptions = ({ kind: 'file' } & FsObjectStoreOptions) | { kind: 'memory' } | ({ kind: 's3' } & S3ObjectStoreOptions)

export type BusOptions = { kind: 'memory' } | ({ kind: 'kafka' } & KafkaBrokerOptions)

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
