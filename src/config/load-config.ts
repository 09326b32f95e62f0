import type { BusOptions, CatalogOptions, ObjectStoreOptions } from '../adapters/backend-options.js'
import { machineTimeZone } from '../core/alert-text.js'
import type { AnalysisOptions } from '../core/analysis-options.js'
import type { ConsumerOptions } from '../core/consumer-options.js'
import type { ReceiveOptions } from '../core/receive-options.js'
import type { LogLevel } from '../core/logger.js'
import { busFromUrl } from './broker-url.js'
import { catalogFromUrl } from './database-url.js'
import { objectStoreFromUrl } from './object-store-url.js'
import type { Env, ParseContext, Setting } from './setting.js'
import { SETTING_NAMES, SETTINGS, type SettingName, type SettingValue } from './settings.js'

/** The whole configuration, validated once at start-up: the adapters' options and the stages' settings. */
export interface Config {
  database: CatalogOptions
  objectStore: ObjectStoreOptions
  broker: BusOptions
  /** Partitions of the topics imgpipe creates. */
  topicPartitions: number
  /** Prepended to topic and consumer group names, so tests and tenants can share a cluster. */
  topicPrefix: string
  analysis: AnalysisOptions
  consumer: ConsumerOptions
  receive: ReceiveOptions
  logLevel: LogLevel
  /** The stages' Prometheus endpoint: port null = none; 0 = a free port. */
  metrics: { port: number | null; host: string }
  delivery: DeliveryConfig
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
  /** Undefined: no e-mail channel. */
  smtp:
    | {
        url: string
        from: string
        username: string | undefined
        password: string | undefined
        /** IANA zone of the local times in e-mails. */
        timeZone: string
      }
    | undefined
}

/** Flag values from the CLI, by setting name; each overrides its variable. */
export type ConfigOverrides = Partial<Record<SettingName, string | undefined>>

type SettingValues = { [K in SettingName]: SettingValue<K> }

/**
 * Reads every setting (its flag, else its variable, else its default), validates it through the settings
 * table, and builds the configuration. Throws a ConfigError naming the first bad setting's variable.
 */
export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}, cwd = process.cwd()): Config {
  const value = parseSettings(settingsContext(env, overrides, cwd))
  return {
    database: value.databaseUrl,
    objectStore: value.objectStoreUrl,
    broker: value.brokerUrl,
    topicPartitions: value.topicPartitions,
    topicPrefix: value.topicPrefix,
    analysis: {
      eventThreshold: value.eventThreshold,
      pixelTolerance: value.pixelTolerance,
      maxImagePixels: value.maxImagePixels,
      maxImageBytes: value.maxImageBytes,
      analysisDir: value.analysisDir ?? null,
      decodeCacheBytes: value.decodeCacheBytes,
    },
    consumer: { batchSize: value.consumerBatchSize, concurrency: value.consumerConcurrency },
    receive: {
      batchSize: value.receiveBatchSize,
      batchBytes: value.receiveBatchBytes,
      lingerMs: value.receiveLingerMs,
      putConcurrency: value.receiveConcurrency,
    },
    logLevel: value.logLevel,
    metrics: { port: value.metricsPort ?? null, host: value.metricsHost },
    delivery: {
      publicUrl: value.publicUrl,
      allowPrivate: value.deliveryAllowPrivate,
      concurrency: value.deliveryConcurrency,
      timeoutMs: value.deliveryTimeoutMs,
      maxAttempts: value.deliveryMaxAttempts,
      backoffBaseMs: value.deliveryBackoffMs,
      backoffMaxMs: value.deliveryBackoffMaxMs,
      pollMs: value.deliveryPollMs,
      smtp:
        value.smtpUrl === undefined
          ? undefined
          : {
              url: value.smtpUrl,
              from: value.smtpFrom,
              username: value.smtpUsername,
              password: value.smtpPassword,
              timeZone: value.timeZone ?? machineTimeZone(),
            },
    },
  }
}

/**
 * A setting's given value: its flag as typed, else its variable trimmed, blank meaning unset. A secret is
 * taken exactly as given (spaces may be part of it), empty meaning unset.
 */
export function givenValue(name: SettingName, env: Env, overrides: ConfigOverrides): string | undefined {
  const setting: Setting<unknown> = SETTINGS[name]
  const flag = overrides[name]
  if (setting.secret === true) {
    const value = flag ?? env[setting.env]
    return value === '' ? undefined : value
  }
  if (flag !== undefined) return flag
  const value = env[setting.env]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function settingsContext(env: Env, overrides: ConfigOverrides, cwd: string): Omit<ParseContext, 'variable'> {
  return {
    cwd,
    env,
    given: (name) => givenValue(name, env, overrides),
    variableOf: (name) => SETTINGS[name].env,
  }
}

/** Every setting parsed, in the table's order (so the first bad one in README order is reported). */
function parseSettings(context: Omit<ParseContext, 'variable'>): SettingValues {
  const values: Partial<Record<SettingName, unknown>> = {}
  for (const name of SETTING_NAMES) {
    const setting: Setting<unknown> = SETTINGS[name]
    const value = context.given(name) ?? (setting.default === undefined ? undefined : String(setting.default))
    values[name] = value === undefined ? undefined : setting.parse(value, { ...context, variable: setting.env })
  }
  return values as SettingValues
}

/** IMGPIPE_DATABASE_URL's parser on its own; the password as IMGPIPE_DATABASE_PASSWORD would give it. */
export function parseDatabaseUrl(value: string, cwd: string, env: Env = {}, password?: string): CatalogOptions {
  const context = settingsContext(env, { databasePassword: password ?? '' }, cwd)
  return catalogFromUrl(value, { ...context, variable: SETTINGS.databaseUrl.env })
}

export function parseObjectStoreUrl(value: string, cwd: string): ObjectStoreOptions {
  return objectStoreFromUrl(value, { ...settingsContext({}, {}, cwd), variable: SETTINGS.objectStoreUrl.env })
}

/** IMGPIPE_BROKER_URL's parser on its own, with the IMGPIPE_KAFKA_* settings read from `env`. */
export function parseBrokerUrl(value: string, env: Env = {}, cwd = process.cwd()): BusOptions {
  return busFromUrl(value, { ...settingsContext(env, {}, cwd), variable: SETTINGS.brokerUrl.env })
}
