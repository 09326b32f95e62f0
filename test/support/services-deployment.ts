/**
 * A fresh place on the test services for one pipeline: an `imgpipe_t_<unique>` database on MariaDB or PostgreSQL,
 * a unique S3 prefix and a unique topic prefix, the env that points the CLI at them, and their removal.
 * Free of vitest, so `npm run chaos` (bench/chaos.ts) deploys as the end-to-end tests do.
 */
import { deleteKafkaNames } from './bus-backends.js'
import { freshDatabaseUrl, type FreshDatabase } from './catalog-backends.js'
import { cleanEnv } from './cli.js'
import { uniqueName } from './integration.js'
import { freshStoreUrl, type FreshStoreUrl } from './store-backends.js'

export interface Deployment {
  env: Record<string, string>
  database: FreshDatabase
  store: FreshStoreUrl
  prefix: string
  brokers: string[]
  cleanup(): Promise<void>
}

/** A fresh database, S3 prefix and topic prefix, and the env that points the CLI at them. */
export async function deploy(kafkaUrl: string, kind: 'mysql' | 'postgres', partitions = 3): Promise<Deployment> {
  const database = await freshDatabaseUrl(kind)
  const store = await freshStoreUrl('s3')
  if (database === null || store === null) throw new Error('the database or S3 test service is not configured')
  const prefix = `${uniqueName('e2e')}_`
  const brokers = kafkaUrl.replace('kafka://', '').split(',')
  const env = cleanEnv({
    IMGPIPE_DATABASE_URL: database.url,
    IMGPIPE_DATABASE_PASSWORD: database.password,
    IMGPIPE_OBJECT_STORE_URL: store.url,
    IMGPIPE_BROKER_URL: kafkaUrl,
    IMGPIPE_TOPIC_PREFIX: prefix,
    IMGPIPE_TOPIC_PARTITIONS: String(partitions),
  })
  return {
    env,
    database,
    store,
    prefix,
    brokers,
    async cleanup() {
      await Promise.allSettled([database.cleanup(), store.cleanup(), deleteKafkaNames(brokers, prefix)])
    },
  }
}
