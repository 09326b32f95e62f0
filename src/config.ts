import { readFileSync } from 'node:fs'
import path from 'node:path'
import { ConfigError } from './core/errors.js'
import { assertValidObjectKey } from './core/object-keys.js'

/**
 * The whole configuration, validated once at start-up. Only environment variables and command-line
 * flags configure imgpipe (flags win); no host, bucket or credential is written in code. Passwords come
 * from IMGPIPE_DATABASE_PASSWORD (or the drivers' own PGPASSWORD / MYSQL_PWD), AWS credentials from the
 * standard AWS chain, never from a URL.
 */

/** The defaults, beside the code that validates them. Relative paths are resolved against the cwd. */
export const DEFAULTS = {
  databaseUrl: 'sqlite:data/imgpipe.db',
  objectStoreUrl: 'file:data/objects',
  brokerUrl: 'memory:',
  topicPartitions: 3,
  topicPrefix: '',
  /** Fraction of changed pixels above which an image is an event: ignores JPEG noise, catches a rotation. */
  eventThreshold: 0.01,
  /** A pixel counts as changed when a channel differs by more than this (0..254; 255 could never be exceeded). */
  pixelTolerance: 48,
  /** Decompression-bomb guard: images with more pixels are rejected before decoding. */
  maxImagePixels: 50_000_000,
  /** Files larger than this are rejected before reading them whole. */
  maxImageBytes: 100 * 1024 * 1024,
  /** Commands a person runs log warnings only; `imgpipe analyze` and `alert` log at info (src/cli/cli-context.ts). */
  logLevel: 'warn',
  /** Delivery worker: sends in flight, per-attempt timeout, attempts before `dead`, backoff steps, idle poll. */
  deliveryConcurrency: 16,
  deliveryTimeoutMs: 10_000,
  deliveryMaxAttempts: 12,
  deliveryBackoffMs: 1_000,
  deliveryBackoffMaxMs: 600_000,
  deliveryPollMs: 1_000,
  smtpFrom: 'imgpipe@localhost',
} as const

export const ENV = {
  databaseUrl: 'IMGPIPE_DATABASE_URL',
  databasePassword: 'IMGPIPE_DATABASE_PASSWORD',
  objectStoreUrl: 'IMGPIPE_OBJECT_STORE_URL',
  brokerUrl: 'IMGPIPE_BROKER_URL',
  topicPartitions: 'IMGPIPE_TOPIC_PARTITIONS',
  topicPrefix: 'IMGPIPE_TOPIC_PREFIX',
  eventThreshold: 'IMGPIPE_EVENT_THRESHOLD',
  pixelTolerance: 'IMGPIPE_PIXEL_TOLERANCE',
  maxImagePixels: 'IMGPIPE_MAX_IMAGE_PIXELS',
  maxImageBytes: 'IMGPIPE_MAX_IMAGE_BYTES',
  logLevel: 'IMGPIPE_LOG_LEVEL',
  publicUrl: 'IMGPIPE_PUBLIC_URL',
  deliveryAllowPrivate: 'IMGPIPE_DELIVERY_ALLOW_PRIVATE',
  deliveryConcurrency: 'IMGPIPE_DELIVERY_CONCURRENCY',
  deliveryTimeoutMs: 'IMGPIPE_DELIVERY_TIMEOUT_MS',
  deliveryMaxAttempts: 'IMGPIPE_DELIVERY_MAX_ATTEMPTS',
  deliveryBackoffMs: 'IMGPIPE_DELIVERY_BACKOFF_MS',
  deliveryBackoffMaxMs: 'IMGPIPE_DELIVERY_BACKOFF_MAX_MS',
  deliveryPollMs: 'IMGPIPE_DELIVERY_POLL_MS',
  smtpUrl: 'IMGPIPE_SMTP_URL',
  smtpFrom: 'IMGPIPE_SMTP_FROM',
  /** SMTP credentials: env only, never in the URL, never printed. */
  smtpUsername: 'IMGPIPE_SMTP_USERNAME',
  smtpPassword: 'IMGPIPE_SMTP_PASSWORD',
  /** Kafka security: env only, so that a password never sits in a URL, a flag or a shell history. */
  kafkaCaFile: 'IMGPIPE_KAFKA_CA_FILE',
  kafkaSaslMechanism: 'IMGPIPE_KAFKA_SASL_MECHANISM',
  kafkaSaslUsername: 'IMGPIPE_KAFKA_SASL_USERNAME',
  kafkaSaslPassword: 'IMGPIPE_KAFKA_SASL_PASSWORD',
} as const

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | {
      kind: 'mysql' | 'postgres'
      host: string
      port: number
      user: string
      database: string
      /** From IMGPIPE_DATABASE_PASSWORD / MYSQL_PWD / PGPASSWORD; never printed. */
      password: string | undefined
      ssl: boolean
    }

export type ObjectStoreConfig =
  | { kind: 'file'; dir: string }
  | { kind: 'memory' }
  | {
      kind: 's3'
      bucket: string
      /** '' or ends with '/'. */
      prefix: string
      endpoint: string | undefined
      region: string | undefined
      forcePathStyle: boolean
      /** 'when_required' for S3-compatible servers that reject the SDK's default CRC checksums. */
      checksums: 'when_supported' | 'when_required'
    }

/** The SASL mechanisms @platformatic/kafka implements itself (OAUTHBEARER and GSSAPI need code of their own). */
export const KAFKA_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number]

/** TLS to every broker (`kafkas://`); the certificate is always verified, and its name checked against the host. */
export interface KafkaTlsConfig {
  /**
   * PEM bundle read from IMGPIPE_KAFKA_CA_FILE: these CAs, and only these, are trusted (as with a Java client's
   * truststore). Undefined: Node's CAs plus NODE_EXTRA_CA_CERTS.
   */
  ca?: string
}

export interface KafkaSaslConfig {
  mechanism: KafkaSaslMechanism
  username: string
  /** From IMGPIPE_KAFKA_SASL_PASSWORD; never printed. */
  password: string
}

/** `tls` and `sasl` are undefined for a plaintext listener without authentication (`kafka://`, no SASL env). */
export type BrokerConfig =
  | { kind: 'memory' }
  | { kind: 'kafka'; brokers: string[]; clientId: string; tls: KafkaTlsConfig | undefined; sasl: KafkaSaslConfig | undefined }

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface AnalysisConfig {
  eventThreshold: number
  pixelTolerance: number
  maxImagePixels: number
  maxImageBytes: number
}

/** Alert delivery to subscriptions (`imgpipe alert`, `imgpipe deliver`). */
export interface DeliveryConfig {
  /** Absolute base URL of the web viewer for links in messages; undefined: no links. */
  publicUrl: string | undefined
  /** Allow targets on loopback/private addresses (tests, intranets). */
  allowPrivate: boolean
  concurrency: number
  timeoutMs: number
  maxAttempts: number
  backoffBaseMs: number
  backoffMaxMs: number
  pollMs: number
  /** `smtp://host:port` (STARTTLS when offered; `?requireTLS=true` insists) or `smtps://host:port`; undefined: no e-mail channel. */
  smtp: { url: string; from: string; username: string | undefined; password: string | undefined } | undefined
}

export interface Config {
  database: DatabaseConfig
  objectStore: ObjectStoreConfig
  broker: BrokerConfig
  topicPartitions: number
  /** Prepended to topic and consumer group names, so tests and tenants can share a cluster. */
  topicPrefix: string
  analysis: AnalysisConfig
  logLevel: LogLevel
  delivery: DeliveryConfig
}

/** Flag values from the CLI; each overrides the env var of the same meaning. Kafka security has no flags. */
export type ConfigOverrides = Partial<Record<Exclude<keyof typeof ENV, `kafka${string}`>, string | undefined>>

type Env = Record<string, string | undefined>

export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}, cwd = process.cwd()): Config {
  const read = (key: keyof ConfigOverrides): string | undefined => {
    const flag = overrides[key]
    if (flag !== undefined) return flag
    const value = env[ENV[key]]
    return value === undefined || value.trim() === '' ? undefined : value.trim()
  }
  // Unset when empty, like every other variable; otherwise taken exactly as given (spaces may be part of it).
  const password = env[ENV.databasePassword] === '' ? undefined : env[ENV.databasePassword]
  return {
    database: parseDatabaseUrl(read('databaseUrl') ?? DEFAULTS.databaseUrl, cwd, env, password),
    objectStore: parseObjectStoreUrl(read('objectStoreUrl') ?? DEFAULTS.objectStoreUrl, cwd),
    broker: parseBrokerUrl(read('brokerUrl') ?? DEFAULTS.brokerUrl, env, cwd),
    topicPartitions: parseInteger('topicPartitions', read('topicPartitions'), DEFAULTS.topicPartitions, 1, 1000),
    topicPrefix: parseTopicPrefix(read('topicPrefix') ?? DEFAULTS.topicPrefix),
    analysis: {
      eventThreshold: parseNumber('eventThreshold', read('eventThreshold'), DEFAULTS.eventThreshold, 0, 1),
      pixelTolerance: parseInteger('pixelTolerance', read('pixelTolerance'), DEFAULTS.pixelTolerance, 0, 254),
      maxImagePixels: parseInteger('maxImagePixels', read('maxImagePixels'), DEFAULTS.maxImagePixels, 1, 2 ** 32),
      maxImageBytes: parseInteger('maxImageBytes', read('maxImageBytes'), DEFAULTS.maxImageBytes, 1, 2 ** 40),
    },
    logLevel: parseLogLevel(read('logLevel') ?? DEFAULTS.logLevel),
    delivery: parseDelivery(read, env),
  }
}

function parseDelivery(read: (key: keyof ConfigOverrides) => string | undefined, env: Env): DeliveryConfig {
  const publicUrl = read('publicUrl')
  if (publicUrl !== undefined && !/^https?:\/\/[^/@\s]+(\/\S*)?$/.test(publicUrl))
    throw invalid('publicUrl', publicUrl, 'expected http(s)://host[:port][/path]')
  const allowText = read('deliveryAllowPrivate')
  const allowPrivate = parseBoolean(allowText ?? 'false')
  if (allowPrivate === null) throw invalid('deliveryAllowPrivate', allowText ?? '', 'expected true or false')
  const smtpUrl = read('smtpUrl')
  if (smtpUrl !== undefined) {
    if (!/^smtps?:\/\/[^/@\s]+\/?(\?\S*)?$/.test(smtpUrl))
      throw invalid('smtpUrl', smtpUrl, 'expected smtp://host:port or smtps://host:port, credentials in IMGPIPE_SMTP_USERNAME/PASSWORD')
  }
  const password = env[ENV.smtpPassword] === '' ? undefined : env[ENV.smtpPassword]
  return {
    publicUrl,
    allowPrivate,
    concurrency: parseInteger('deliveryConcurrency', read('deliveryConcurrency'), DEFAULTS.deliveryConcurrency, 1, 1000),
    timeoutMs: parseInteger('deliveryTimeoutMs', read('deliveryTimeoutMs'), DEFAULTS.deliveryTimeoutMs, 100, 600_000),
    maxAttempts: parseInteger('deliveryMaxAttempts', read('deliveryMaxAttempts'), DEFAULTS.deliveryMaxAttempts, 1, 1000),
    backoffBaseMs: parseInteger('deliveryBackoffMs', read('deliveryBackoffMs'), DEFAULTS.deliveryBackoffMs, 1, 3_600_000),
    backoffMaxMs: parseInteger('deliveryBackoffMaxMs', read('deliveryBackoffMaxMs'), DEFAULTS.deliveryBackoffMaxMs, 1, 86_400_000),
    pollMs: parseInteger('deliveryPollMs', read('deliveryPollMs'), DEFAULTS.deliveryPollMs, 10, 600_000),
    smtp:
      smtpUrl === undefined
        ? undefined
        : { url: smtpUrl, from: read('smtpFrom') ?? DEFAULTS.smtpFrom, username: envValue(env, 'smtpUsername'), password },
  }
}

function invalid(key: keyof typeof ENV, value: string, why: string): ConfigError {
  // Values can hold secrets only in the URL's user part, which is never echoed back.
  return new ConfigError(`${ENV[key]}=${JSON.stringify(redactUrl(value))} is invalid: ${why}`)
}

/**
 * Removes a `user:password@` part, and the values of query options that look like secrets, so that a
 * mistaken URL never reaches a log or terminal intact. The password runs to the last `@`: passwords
 * that are not percent-encoded may hold `@`, `/` or `:` themselves.
 */
export function redactUrl(value: string): string {
  return value.replace(/\/\/([^/?#:]*):[^]*@/, '//$1:***@').replace(/([?&][^=&#]*(?:pass|pwd|secret|token|key)[^=&#]*=)[^&#]*/gi, '$1***')
}

/** decodeURIComponent that reports a malformed escape as a ConfigError of `key` instead of a URIError. */
function decode(key: keyof typeof ENV, value: string, part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw invalid(key, value, `malformed percent-escape in ${JSON.stringify(part)}`)
  }
}

function localPath(key: keyof typeof ENV, value: string, rest: string, cwd: string): string {
  // file:/abs, file:///abs, file:rel, sqlite:/abs.db, sqlite:///abs.db, sqlite:rel.db
  const stripped = rest.startsWith('///') ? rest.slice(2) : rest.startsWith('//') ? rest.slice(1) : rest
  return path.resolve(cwd, decode(key, value, stripped))
}

const SSL_ON: readonly string[] = ['true', '1', 'require', 'verify-ca', 'verify-full']
const SSL_OFF: readonly string[] = ['', 'false', '0', 'disable', 'allow', 'prefer']

export function parseDatabaseUrl(value: string, cwd: string, env: Env = {}, password?: string): DatabaseConfig {
  if (value.startsWith('sqlite:')) {
    const rest = value.slice('sqlite:'.length)
    if (rest === '') return { kind: 'sqlite', path: path.resolve(cwd, DEFAULTS.databaseUrl.slice('sqlite:'.length)) }
    if (rest === ':memory:') return { kind: 'sqlite', path: ':memory:' }
    return { kind: 'sqlite', path: localPath('databaseUrl', value, rest, cwd) }
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid('databaseUrl', value, 'expected sqlite:<path>, mysql://user@host:port/db or postgres://user@host:port/db')
  }
  const scheme = url.protocol.slice(0, -1)
  const kind = scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : scheme === 'postgres' || scheme === 'postgresql' ? 'postgres' : null
  if (kind === null) throw invalid('databaseUrl', value, `unknown scheme "${scheme}:" (use sqlite:, mysql:, mariadb:, postgres:)`)
  if (url.password !== '' || url.searchParams.has('password')) {
    throw invalid('databaseUrl', value, `put the password in ${ENV.databasePassword}, not in the URL`)
  }
  const database = decode('databaseUrl', value, url.pathname.replace(/^\//, ''))
  if (database === '' || database.includes('/')) throw invalid('databaseUrl', value, 'name one database in the path, e.g. /imgpipe')
  if (url.hostname === '') throw invalid('databaseUrl', value, 'no host')
  const defaultPort = kind === 'mysql' ? 3306 : 5432
  const port = url.port === '' ? defaultPort : Number(url.port)
  const user = decode('databaseUrl', value, url.username) || (kind === 'mysql' ? 'root' : 'postgres')
  const sslValue = url.searchParams.get('ssl') ?? url.searchParams.get('sslmode') ?? ''
  // An unrecognised value is an error rather than a silent plain-text connection.
  if (!SSL_ON.includes(sslValue) && !SSL_OFF.includes(sslValue)) {
    throw invalid('databaseUrl', value, `ssl/sslmode must be one of ${[...SSL_ON, ...SSL_OFF.slice(1)].join(', ')}`)
  }
  const ssl = SSL_ON.includes(sslValue)
  const secret = password ?? (kind === 'mysql' ? env['MYSQL_PWD'] : env['PGPASSWORD'])
  return { kind, host: url.hostname.replace(/^\[|\]$/g, ''), port, user, database, password: secret, ssl }
}

export function parseObjectStoreUrl(value: string, cwd: string): ObjectStoreConfig {
  if (value === 'memory:') return { kind: 'memory' }
  if (value.startsWith('file:')) {
    const rest = value.slice('file:'.length)
    if (rest === '') return { kind: 'file', dir: path.resolve(cwd, DEFAULTS.objectStoreUrl.slice('file:'.length)) }
    return { kind: 'file', dir: localPath('objectStoreUrl', value, rest, cwd) }
  }
  if (!value.startsWith('s3://')) {
    throw invalid('objectStoreUrl', value, 'expected file:<dir>, s3://bucket[/prefix][?endpoint=...&region=...&forcePathStyle=true]')
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid('objectStoreUrl', value, 'not a URL')
  }
  const noCredentials = 'credentials come from the AWS chain (AWS_ACCESS_KEY_ID, profile, role), not the URL'
  if (url.username !== '' || url.password !== '') throw invalid('objectStoreUrl', value, noCredentials)
  const bucket = url.hostname
  if (!isBucketName(bucket)) throw invalid('objectStoreUrl', value, `${JSON.stringify(bucket)} is not a valid bucket name`)
  if (url.port !== '')
    throw invalid('objectStoreUrl', value, 'no port after the bucket name; give the server as ?endpoint=http://host:port')
  const prefixPath = decode('objectStoreUrl', value, url.pathname.replace(/^\/+/, '').replace(/\/+$/, ''))
  if (prefixPath !== '') {
    try {
      assertValidObjectKey(prefixPath)
    } catch (error) {
      throw invalid('objectStoreUrl', value, `bad prefix: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const prefix = prefixPath === '' ? '' : `${prefixPath}/`
  const known = new Set(['endpoint', 'region', 'forcePathStyle', 'checksums'])
  for (const key of url.searchParams.keys()) {
    if (!known.has(key)) throw invalid('objectStoreUrl', value, `unknown option ${JSON.stringify(key)} (known: ${[...known].join(', ')})`)
  }
  const endpoint = url.searchParams.get('endpoint') ?? undefined
  if (endpoint !== undefined) {
    let parsed: URL | undefined
    try {
      parsed = new URL(endpoint)
    } catch {
      parsed = undefined
    }
    if (
      parsed === undefined ||
      (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') ||
      !/^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/.test(endpoint)
    ) {
      throw invalid('objectStoreUrl', value, 'endpoint must be an http(s) URL such as http://127.0.0.1:9000')
    }
    if (parsed.username !== '' || parsed.password !== '') throw invalid('objectStoreUrl', value, noCredentials)
  }
  const forcePathStyle = parseBoolean(url.searchParams.get('forcePathStyle'))
  if (forcePathStyle === null) throw invalid('objectStoreUrl', value, 'forcePathStyle must be true or false')
  const checksums = url.searchParams.get('checksums') ?? 'when_supported'
  if (checksums !== 'when_supported' && checksums !== 'when_required') {
    throw invalid('objectStoreUrl', value, 'checksums must be when_supported or when_required')
  }
  return { kind: 's3', bucket, prefix, endpoint, region: url.searchParams.get('region') ?? undefined, forcePathStyle, checksums }
}

/** S3's rules: 3-63 of a-z 0-9 . -, a letter or digit at each end, no "..", not an IPv4 address. */
function isBucketName(bucket: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(bucket)
}

function parseBoolean(value: string | null): boolean | null {
  if (value === null || value === 'false' || value === '0') return false
  if (value === 'true' || value === '1' || value === '') return true
  return null
}

/**
 * `memory:`, `kafka://host:port,...` (plaintext) or `kafkas://host:port,...` (TLS). SASL and the CA bundle come
 * from `env` (IMGPIPE_KAFKA_*), read only for a Kafka URL; a relative CA path is resolved against `cwd`.
 */
export function parseBrokerUrl(value: string, env: Env = {}, cwd = process.cwd()): BrokerConfig {
  if (value === 'memory:') return { kind: 'memory' }
  const match = /^(kafkas?):\/\/([^/?#]+)\/?(?:\?(.*))?$/.exec(value)
  if (match === null)
    throw invalid('brokerUrl', value, 'expected memory:, kafka://host:port[,host:port...] or kafkas://host:port[,...] (TLS)')
  const brokers = (match[2] ?? '').split(',').map((entry) => entry.trim())
  for (const broker of brokers) {
    if (broker.includes('@')) throw invalid('brokerUrl', value, 'credentials do not belong in the URL')
    const port = /^(?:[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(broker)?.[1]
    if (port === undefined || Number(port) < 1 || Number(port) > 65535) {
      throw invalid('brokerUrl', value, `${JSON.stringify(broker)} is not host:port (port 1 to 65535)`)
    }
  }
  const params = new URLSearchParams(match[3] ?? '')
  for (const key of params.keys()) {
    if (key !== 'clientId') throw invalid('brokerUrl', value, `unknown option ${JSON.stringify(key)} (known: clientId)`)
  }
  const clientId = params.get('clientId') ?? 'imgpipe'
  if (clientId === '') throw invalid('brokerUrl', value, 'clientId must not be empty')
  const tls = match[1] === 'kafkas' ? parseKafkaTls(env, cwd) : undefined
  if (tls === undefined && envValue(env, 'kafkaCaFile') !== undefined) {
    // A CA bundle for a plaintext URL means TLS was meant: connecting without it would be a silent downgrade.
    throw new ConfigError(`${ENV.kafkaCaFile} is set but ${ENV.brokerUrl} is kafka://, which is plaintext: use kafkas:// for TLS`)
  }
  return { kind: 'kafka', brokers, clientId, tls, sasl: parseKafkaSasl(env) }
}

/** An env variable, trimmed; undefined when unset or blank (like loadConfig's own reads). */
function envValue(env: Env, key: keyof typeof ENV): string | undefined {
  const value = env[ENV[key]]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function parseKafkaTls(env: Env, cwd: string): KafkaTlsConfig {
  const file = envValue(env, 'kafkaCaFile')
  if (file === undefined) return {}
  // Read now, so a wrong path stops the process at start-up rather than at its first connection.
  let ca: string
  try {
    ca = readFileSync(path.resolve(cwd, file), 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error))
    throw new ConfigError(`${ENV.kafkaCaFile}=${JSON.stringify(file)} cannot be read (${reason})`)
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`${ENV.kafkaCaFile}=${JSON.stringify(file)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`)
  }
  return { ca }
}

/** SASL from IMGPIPE_KAFKA_SASL_*: all three or none. Messages name variables, never echo the password. */
function parseKafkaSasl(env: Env): KafkaSaslConfig | undefined {
  const mechanismValue = envValue(env, 'kafkaSaslMechanism')
  const username = envValue(env, 'kafkaSaslUsername')
  // Taken exactly as given (spaces may be part of it); empty means unset, like IMGPIPE_DATABASE_PASSWORD.
  const rawPassword = env[ENV.kafkaSaslPassword]
  const password = rawPassword === '' ? undefined : rawPassword
  if (mechanismValue === undefined) {
    if (username === undefined && password === undefined) return undefined
    const given = username === undefined ? ENV.kafkaSaslPassword : ENV.kafkaSaslUsername
    throw new ConfigError(`${given} is set but ${ENV.kafkaSaslMechanism} is not: set it to one of ${KAFKA_SASL_MECHANISMS.join(', ')}`)
  }
  const mechanism = KAFKA_SASL_MECHANISMS.find((known) => known === mechanismValue.toUpperCase())
  if (mechanism === undefined) {
    throw new ConfigError(
      `${ENV.kafkaSaslMechanism}=${JSON.stringify(mechanismValue)} is invalid: expected one of ${KAFKA_SASL_MECHANISMS.join(', ')}`,
    )
  }
  if (username === undefined || password === undefined) {
    const missing = [...(username === undefined ? [ENV.kafkaSaslUsername] : []), ...(password === undefined ? [ENV.kafkaSaslPassword] : [])]
    throw new ConfigError(`${ENV.kafkaSaslMechanism}=${mechanism} needs ${missing.join(' and ')} too`)
  }
  return { mechanism, username, password }
}

function parseTopicPrefix(value: string): string {
  if (!/^[A-Za-z0-9._-]{0,100}$/.test(value)) throw invalid('topicPrefix', value, 'letters, digits, ".", "_" and "-" only')
  return value
}

function parseNumber(key: keyof typeof ENV, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  // Decimal notation only: Number() would read '' as 0 and accept '0x1f' or ' '.
  const number = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isFinite(number) || number < min || number > max) throw invalid(key, value, `expected a number from ${min} to ${max}`)
  return number
}

function parseInteger(key: keyof typeof ENV, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value)) throw invalid(key, value, `expected an integer from ${min} to ${max}`)
  return parseNumber(key, value, fallback, min, max)
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
function parseLogLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw invalid('logLevel', value, `one of ${LOG_LEVELS.join(', ')}`)
  return value as LogLevel
}

/** Where the data is, for summaries and `imgpipe status`: no credentials, ever. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return `sqlite:${database.path}`
  const host = database.host.includes(':') ? `[${database.host}]` : database.host
  return `${database.kind}://${database.user}@${host}:${database.port}/${database.database}`
}

export function describeObjectStore(store: ObjectStoreConfig): string {
  if (store.kind === 'memory') return 'memory:'
  if (store.kind === 'file') return `file:${store.dir}`
  return `s3://${store.bucket}/${store.prefix}${store.endpoint === undefined ? '' : ` (endpoint ${store.endpoint})`}`
}

export function describeBroker(broker: BrokerConfig): string {
  if (broker.kind === 'memory') return 'memory:'
  const url = `${broker.tls === undefined ? 'kafka' : 'kafkas'}://${broker.brokers.join(',')}`
  return broker.sasl === undefined ? url : `${url} (SASL ${broker.sasl.mechanism} as ${broker.sasl.username})`
}

export function topicName(config: Pick<Config, 'topicPrefix'>, topic: string): string {
  return `${config.topicPrefix}${topic}`
}
