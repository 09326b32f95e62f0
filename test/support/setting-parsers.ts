import type { BusOptions, CatalogOptions, ObjectStoreOptions } from '../../src/adapters/backend-options.js'
import { readSettings } from '../../src/config/load-config.js'
import type { Env } from '../../src/core/setting-values.js'

/**
 * One URL setting parsed on its own, as its variable would give it, through the one loader (readSettings):
 * what the tests and benches open their backends from.
 */

/** IMGPIPE_DATABASE_URL's value; the password as IMGPIPE_DATABASE_PASSWORD would give it. */
export function parseDatabaseUrl(value: string, cwd: string, env: Env = {}, password?: string): CatalogOptions {
  return readSettings(['databaseUrl'], { ...env, IMGPIPE_DATABASE_URL: value, IMGPIPE_DATABASE_PASSWORD: password }, {}, cwd).databaseUrl
}

export function parseObjectStoreUrl(value: string, cwd: string): ObjectStoreOptions {
  return readSettings(['objectStoreUrl'], { IMGPIPE_OBJECT_STORE_URL: value }, {}, cwd).objectStoreUrl
}

/** IMGPIPE_BROKER_URL's value, with the IMGPIPE_KAFKA_* settings read from `env`. */
export function parseBrokerUrl(value: string, env: Env = {}, cwd = process.cwd()): BusOptions {
  return readSettings(['brokerUrl'], { ...env, IMGPIPE_BROKER_URL: value }, {}, cwd).brokerUrl
}
