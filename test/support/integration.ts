/**
 * Integration suites run against real servers named by IMGPIPE_TEST_* env vars (set by
 * `scripts/services.sh env`). Without them a suite is skipped with the reason printed; under CI=true a
 * missing service is a failure, never a silent skip.
 */
import { randomBytes } from 'node:crypto'

export const TEST_ENV = {
  mysqlUrl: 'IMGPIPE_TEST_MYSQL_URL',
  mysqlPassword: 'IMGPIPE_TEST_MYSQL_PASSWORD',
  postgresUrl: 'IMGPIPE_TEST_POSTGRES_URL',
  postgresPassword: 'IMGPIPE_TEST_POSTGRES_PASSWORD',
  kafkaUrl: 'IMGPIPE_TEST_KAFKA_URL',
  /** The same broker's SASL_PLAINTEXT listener (kafka://), and the credentials for it and the TLS one. */
  kafkaSaslUrl: 'IMGPIPE_TEST_KAFKA_SASL_URL',
  kafkaSaslMechanism: 'IMGPIPE_TEST_KAFKA_SASL_MECHANISM',
  kafkaSaslUsername: 'IMGPIPE_TEST_KAFKA_SASL_USERNAME',
  kafkaSaslPassword: 'IMGPIPE_TEST_KAFKA_SASL_PASSWORD',
  /** Its SASL_SSL listener (kafkas://), whose certificate the CA in IMGPIPE_TEST_KAFKA_CA_FILE signed. */
  kafkaTlsUrl: 'IMGPIPE_TEST_KAFKA_TLS_URL',
  kafkaCaFile: 'IMGPIPE_TEST_KAFKA_CA_FILE',
  s3Url: 'IMGPIPE_TEST_S3_URL',
  /** A Confluent-compatible schema registry API (Apicurio's /apis/ccompat/v7). */
  schemaRegistryUrl: 'IMGPIPE_TEST_SCHEMA_REGISTRY_URL',
} as const

export const inCi = process.env['CI'] === 'true' || process.env['CI'] === '1'

/**
 * The value of an IMGPIPE_TEST_* variable, or null with a logged skip reason. Under CI it throws instead.
 */
export function serviceUrl(variable: string, service: string): string | null {
  const value = process.env[variable]
  if (value !== undefined && value !== '') return value
  const reason = `${service} integration suite skipped: ${variable} is not set (run \`source <(scripts/services.sh env)\` after \`scripts/services.sh up\`)`
  if (inCi) throw new Error(`CI=true but ${variable} is not set: the ${service} integration suite must run in CI`)
  console.warn(reason)
  return null
}

/** A name no other test (or earlier run) uses: for databases, topics, buckets and prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`
}
