import type { Logger } from '../core/logger.js'
import type { Bus } from '../core/ports/bus.js'
import type { Catalog } from '../core/ports/catalog.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import type { BusOptions, CatalogOptions, ObjectStoreOptions } from './backend-options.js'

/** What opening the three backends takes: the configuration (`Config`) has these fields. */
export interface BackendsOptions {
  database: CatalogOptions
  objectStore: ObjectStoreOptions
  broker: BusOptions
  /** Partitions of topics the bus creates. */
  topicPartitions: number
}

/**
 * Chooses the adapter for each port from its options. Adapters are imported on demand, so a
 * SQLite + directory run never loads the Kafka, S3, MySQL or PostgreSQL clients.
 *
 * `create: false` (commands that only read): a SQLite file that is not there is a NotFoundError naming
 * `imgpipe db create`, not an empty database made where the path was mistyped. A database server's
 * catalog is never created by opening it either way.
 */
export async function openCatalog(database: CatalogOptions, options: { create?: boolean } = {}): Promise<Catalog> {
  switch (database.kind) {
    case 'sqlite':
      return (await import('./sqlite/sqlite-catalog.js')).openSqliteCatalog({ path: database.path, create: options.create ?? true })
    case 'mysql':
      return (await import('./mysql/mysql-catalog.js')).openMysqlCatalog(database)
    case 'postgres':
      return (await import('./postgres/postgres-catalog.js')).openPostgresCatalog(database)
  }
}

export async function openObjectStore(store: ObjectStoreOptions): Promise<ObjectStore> {
  switch (store.kind) {
    case 'file':
      return new (await import('./fs/fs-object-store.js')).FsObjectStore(store.dir)
    case 'memory':
      return new (await import('./memory/memory-object-store.js')).MemoryObjectStore()
    case 's3':
      return new (await import('./s3/s3-object-store.js')).S3ObjectStore(store)
  }
}

export async function openBus(broker: BusOptions, partitions: number, logger: Logger): Promise<Bus> {
  switch (broker.kind) {
    case 'memory':
      return new (await import('./memory/memory-bus.js')).MemoryBus({ defaultPartitions: partitions })
    case 'kafka':
      return new (await import('./kafka/kafka-bus.js')).KafkaBus({
        brokers: broker.brokers,
        clientId: broker.clientId,
        tls: broker.tls,
        sasl: broker.sasl,
        defaultPartitions: partitions,
        logger,
      })
  }
}
