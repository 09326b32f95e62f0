/**
 * Which adapter serves each port, and its options: what the configuration turns env vars and flags into
 * (once, at the edge). Each variant is the adapter's own options type, and each description is the adapter's
 * own, so that `imgpipe status`, summaries and the adapters' logs name a place the same way, without
 * credentials. Type-only imports and small option files: nothing here loads a client library.
 */
import { describeFsObjectStore, type FsObjectStoreOptions } from './fs/fs-options.js'
import { describeKafkaBrokers, type KafkaBrokerOptions } from './kafka/kafka-options.js'
import { describeMemoryBackend } from './memory/memory-options.js'
import { describeMysqlCatalog, type MysqlCatalogOptions } from './mysql/mysql-options.js'
import { describePostgresCatalog, type PostgresCatalogOptions } from './postgres/postgres-options.js'
import { describeS3ObjectStore, type S3ObjectStoreOptions } from './s3/s3-options.js'
import { describeSqliteCatalog, type SqliteCatalogOptions } from './sqlite/sqlite-options.js'

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
