import type { BusOptions, CatalogOptions, ObjectStoreOptions } from '../adapters/backend-options.js'
import type { SubscriptionChannelsOptions } from '../adapters/open-channels.js'
import { machineTimeZone } from '../core/alert-text.js'
import type { AnalysisOptions } from '../core/analysis-options.js'
import type { ConsumerOptions } from '../core/consumer-options.js'
import { perSubscriptionLimit, type DeliveryOptions } from '../core/delivery-options.js'
import type { ReceiveOptions } from '../core/receive-options.js'
import type { LogLevel } from '../core/logger.js'
import type { Env } from '../core/setting-values.js'
import type { ParseContext, Setting } from './setting.js'
import { SETTING_NAMES, SETTINGS, type SettingName, type SettingValue } from './settings.js'
import type { WebSettings } from './web-settings.js'

/**
 * The whole configuration, validated once at start-up. Each part is the options type of the module that owns
 * it (an adapter, core for the stages' options); the defaults are the settings table's.
 */
export interface Config {
  database: CatalogOptions
  objectStore: ObjectStoreOptions
  broker: BusOptions
  /** Where Avro alert schemas are registered and looked up; null when no registry is configured. */
  schemaRegistry: { url: string; password: string | undefined } | null
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

/** Alert delivery to subscriptions (`imgpipe alert`, `imgpipe deliver`): the worker's options and the channels'. */
export type DeliveryConfig = DeliveryOptions & SubscriptionChannelsOptions

/** Flag values from the CLI, by setting name; each overrides its variable. */
export type ConfigOverrides = Partial<Record<SettingName, string | undefined>>

/** The parsed values of the settings `names`, by name. */
export type SettingValues<K extends SettingName = SettingName> = { [P in K]: SettingValue<P> }

/**
 * Reads every setting (its flag, else its variable, else its default), validates it through the settings
 * table, and builds the configuration. Throws a ConfigError naming the first bad setting's variable.
 */
export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}, cwd = process.cwd()): Config {
  const value = readSettings(SETTING_NAMES, env, overrides, cwd)
  return {
    database: value.databaseUrl,
    objectStore: value.objectStoreUrl,
    broker: value.brokerUrl,
    schemaRegistry: value.schemaRegistryUrl === undefined ? null : { url: value.schemaRegistryUrl, password: value.schemaRegistryPassword },
    topicPartitions: value.topicPartitions,
    topicPrefix: value.topicPrefix,
    analysis: {
      eventThreshold: value.eventThreshold,
      pixelTolerance: value.pixelTolerance,
      maxImagePixels: value.maxImagePixels,
      maxImageBytes: value.maxImageBytes,
      analysisDir: value.analysisDir ?? null,
      decodeCacheBytes: value.decodeCacheBytes,
      // Absent unless set: the first image HDU is the reader's own default.
      ...(value.fitsHdu === undefined ? {} : { fitsHdu: value.fitsHdu }),
      science: {
        referenceFrames: value.referenceFrames,
        fakesPerImage: value.fakesPerImage,
        detectionSnr: value.detectionSnr,
        realBogusMin: value.realBogusMin,
      },
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
      perSubscription: perSubscriptionLimit(value.deliveryConcurrency),
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

/** The settings `imgpipe web` reads, in the table's order (its help group lists the same). */
export const WEB_SETTING_NAMES = [
  'webPort',
  'webHost',
  'webToken',
  'webAuth',
  'webAllowedHosts',
  'webMaxConnections',
  'webMaxEventStreams',
  'webMaxEventStreamsPerClient',
] as const

/** The web viewer's settings (`imgpipe web`), through the same loader as `loadConfig`. */
export function loadWebSettings(env: Env = process.env, overrides: ConfigOverrides = {}, cwd = process.cwd()): WebSettings {
  const value = readSettings(WEB_SETTING_NAMES, env, overrides, cwd)
  return {
    port: value.webPort,
    host: value.webHost,
    token: value.webToken,
    auth: value.webAuth,
    allowedHosts: value.webAllowedHosts,
    maxConnections: value.webMaxConnections,
    maxEventStreams: value.webMaxEventStreams,
    maxEventStreamsPerClient: value.webMaxEventStreamsPerClient,
  }
}

/**
 * The settings `names`, each from its flag, else its variable, else its default, parsed by its row of the table:
 * the one loader, generic over the table. Parsed in the table's order, so that the first bad one in README order
 * is reported.
 */
export function readSettings<const K extends SettingName>(
  names: readonly K[],
  env: Env,
  overrides: ConfigOverrides,
  cwd: string,
): SettingValues<K> {
  const context = settingsContext(env, overrides, cwd)
  const wanted = new Set<SettingName>(names)
  const values: Partial<Record<SettingName, unknown>> = {}
  for (const name of SETTING_NAMES.filter((known) => wanted.has(known))) {
    const setting: Setting<unknown> = SETTINGS[name]
    const value = context.given(name) ?? (setting.default === undefined ? undefined : String(setting.default))
    values[name] = value === undefined ? undefined : setting.parse(value, { ...context, variable: setting.env })
  }
  return values as SettingValues<K>
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
    given: (name) => givenValue(settingName(name), env, overrides),
    variableOf: (name) => SETTINGS[settingName(name)].env,
  }
}

/** A name a row's parser asked for: one of the table's (ParseContext takes strings, see setting.ts). */
function settingName(name: string): SettingName {
  if (!(name in SETTINGS)) throw new Error(`no setting ${JSON.stringify(name)} in src/config/settings.ts`)
  return name as SettingName
}
