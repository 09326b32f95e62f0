/**
 * The configuration's public face: only environment variables and flags configure imgpipe. The settings
 * table is src/config/settings.ts (how to add a setting is written there); this file only re-exports.
 */
import type { BusOptions, CatalogOptions, ObjectStoreOptions } from './adapters/backend-options.js'
import type { KafkaSaslOptions, KafkaTlsOptions } from './adapters/kafka/kafka-options.js'
import type { AnalysisOptions } from './core/analysis-options.js'

export { DEFAULTS, ENV, SETTINGS, SETTING_NAMES, flagName, type SettingName } from './config/settings.js'
export {
  loadConfig,
  parseBrokerUrl,
  parseDatabaseUrl,
  parseObjectStoreUrl,
  type Config,
  type ConfigOverrides,
} from './config/load-config.js'
export { settingsMarkdownTable } from './config/settings-docs.js'
export { loadWebSettings, type WebSettings } from './config/web-settings.js'
export { describeBus as describeBroker, describeCatalog as describeDatabase, describeObjectStore } from './adapters/backend-options.js'
export { KAFKA_SASL_MECHANISMS, type KafkaSaslMechanism } from './adapters/kafka/kafka-options.js'
export { redactUrl } from './core/redact-url.js'
export { topicName } from './core/messages.js'
export type { LogLevel } from './core/logger.js'

/** The names the configuration's parts had before the adapters owned them. */
export type DatabaseConfig = CatalogOptions
export type ObjectStoreConfig = ObjectStoreOptions
export type BrokerConfig = BusOptions
export type KafkaTlsConfig = KafkaTlsOptions
export type KafkaSaslConfig = KafkaSaslOptions
export type AnalysisConfig = AnalysisOptions
