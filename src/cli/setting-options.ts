import { Option } from 'commander'
import { flagName, SETTING_NAMES, SETTINGS, type SettingName } from '../config/settings.js'
import { WEB_SETTING_NAMES, type ConfigOverrides } from '../config/load-config.js'
import type { Setting } from '../config/setting.js'
import { plainText } from '../config/settings-docs.js'

/**
 * The settings by subject, in the order `--help` lists them; short headings leave a command's help room
 * for its flags on one line per group at 80 columns. Each setting is in exactly one group
 * (test/cli/setting-options.test.ts checks it): a new setting row needs a line here too.
 */
export const SETTING_GROUPS = {
  // The catalog database and the object store: one line in the help of the commands that read both.
  storage: { heading: 'Storage', settings: ['databaseUrl', 'databasePassword', 'objectStoreUrl'] },
  broker: {
    heading: 'Broker',
    settings: [
      'brokerUrl',
      'topicPartitions',
      'topicPrefix',
      'kafkaCaFile',
      'kafkaSaslMechanism',
      'kafkaSaslUsername',
      'kafkaSaslPassword',
    ],
  },
  receive: {
    heading: 'Receive',
    settings: ['receiveBatchSize', 'receiveBatchBytes', 'receiveLingerMs', 'receiveConcurrency', 'fitsHdu', 'analysisDir'],
  },
  // The decode cache's budget sits with the limits and the reference frames with the analysis: each group on one line.
  limits: { heading: 'Limits', settings: ['maxImagePixels', 'maxImageBytes', 'decodeCacheBytes'] },
  analysis: { heading: 'Analysis', settings: ['eventThreshold', 'pixelTolerance', 'referenceFrames'] },
  science: { heading: 'Science', settings: ['fakesPerImage', 'detectionSnr', 'realBogusMin'] },
  consumer: { heading: 'Consumer', settings: ['consumerBatchSize', 'consumerConcurrency'] },
  delivery: {
    heading: 'Delivery',
    settings: [
      'publicUrl',
      'deliveryAllowPrivate',
      'deliveryConcurrency',
      'deliveryTimeoutMs',
      'deliveryMaxAttempts',
      'deliveryBackoffMs',
      'deliveryBackoffMaxMs',
      'deliveryPollMs',
    ],
  },
  email: { heading: 'E-mail', settings: ['smtpUrl', 'smtpFrom', 'smtpUsername', 'smtpPassword', 'timeZone'] },
  web: { heading: 'Web', settings: WEB_SETTING_NAMES },
  registry: { heading: 'Registry', settings: ['schemaRegistryUrl', 'schemaRegistryPassword'] },
  metrics: { heading: 'Metrics', settings: ['metricsPort', 'metricsHost'] },
  log: { heading: 'Logging', settings: ['logLevel'] },
} as const satisfies Record<string, { heading: string; settings: readonly SettingName[] }>

export type SettingGroupName = keyof typeof SETTING_GROUPS

/** A whole group, or one setting of a group (shown under that group's heading). */
type SettingsEntry = SettingGroupName | SettingName

const DATABASE = ['databaseUrl', 'databasePassword'] as const
const STORE = ['objectStoreUrl'] as const

/** What a process running the pipeline reads: its backends, its stages' settings, delivery, metrics. */
const PIPELINE: readonly SettingsEntry[] = [
  'storage',
  'broker',
  'receive',
  'limits',
  'analysis',
  'science',
  'consumer',
  'delivery',
  'email',
  'metrics',
  'log',
]
const CATALOG_ONLY: readonly SettingsEntry[] = [...DATABASE, 'log']
/** A delivery worker: the catalog, the store (attachments), the bus (kafka-topic channel) and the channels. */
const DELIVERING: readonly SettingsEntry[] = ['storage', 'broker', 'delivery', 'email', 'log']

/**
 * The settings each command reads, by its path (`db counts`), and so the setting flags it takes: a flag a
 * command does not read is an unknown option. Every command with an action has a row
 * (test/cli/setting-options.test.ts checks it); a command that reads none has an empty one.
 */
export const COMMAND_SETTINGS: Readonly<Record<string, readonly SettingsEntry[]>> = {
  run: PIPELINE,
  receive: PIPELINE,
  // On the in-process bus analyze also alerts what it found, so it reads the delivery settings too.
  analyze: PIPELINE.filter((entry) => entry !== 'receive'),
  alert: ['storage', 'broker', 'consumer', 'delivery', 'email', 'metrics', 'log'],
  ingest: PIPELINE,
  // Republishes recorded images: no receive window.
  reanalyze: PIPELINE.filter((entry) => entry !== 'receive'),
  'sky make': [],
  view: ['storage', 'limits', 'log'],
  web: ['storage', 'web', 'log'],
  'db create': CATALOG_ONLY,
  'db reset': CATALOG_ONLY,
  'db empty': CATALOG_ONLY,
  'db show': CATALOG_ONLY,
  'db counts': CATALOG_ONLY,
  'store list': [...STORE, 'log'],
  'store empty': [...STORE, 'log'],
  'store check': [...STORE, 'log'],
  // The consumer lag needs the topic names, hence the whole broker group.
  status: ['storage', 'broker', 'log'],
  'subscriber add': CATALOG_ONLY,
  'subscriber list': CATALOG_ONLY,
  'subscriber remove': CATALOG_ONLY,
  'subscription add': [...DATABASE, 'deliveryAllowPrivate', 'log'],
  'subscription list': CATALOG_ONLY,
  'subscription remove': CATALOG_ONLY,
  'subscription enable': CATALOG_ONLY,
  'subscription disable': CATALOG_ONLY,
  'subscription test': DELIVERING,
  'deliveries list': CATALOG_ONLY,
  'deliveries retry': CATALOG_ONLY,
  replay: CATALOG_ONLY,
  deliver: DELIVERING,
  'watchlist add': CATALOG_ONLY,
  'watchlist list': CATALOG_ONLY,
  'watchlist remove': CATALOG_ONLY,
  'watchlist match': CATALOG_ONLY,
  // Reads an alert topic: the broker, and the registry of the Avro schemas.
  'alerts tail': ['broker', 'registry', 'log'],
  'reference build': ['storage', 'limits', 'referenceFrames', 'science', 'log'],
  'reference set': ['storage', 'limits', 'log'],
  'reference list': CATALOG_ONLY,
  'report completeness': CATALOG_ONLY,
  settings: [],
}

/** The settings of `entries`, in the groups' order, each with its group. */
export function settingsOf(entries: readonly SettingsEntry[]): { name: SettingName; group: SettingGroupName }[] {
  const wanted = new Set<string>(entries)
  const groups = Object.keys(SETTING_GROUPS) as SettingGroupName[]
  return groups.flatMap((group) => {
    const settings: readonly SettingName[] = SETTING_GROUPS[group].settings
    return settings.filter((name) => wanted.has(group) || wanted.has(name)).map((name) => ({ name, group }))
  })
}

/** Options that are settings, for the help layout (src/cli/compact-help.ts), which lists them apart. */
const settingFlags = new WeakSet<Option>()

export function isSettingOption(option: Option): boolean {
  return settingFlags.has(option)
}

/**
 * One flag per setting, named after its variable (IMGPIPE_TOPIC_PARTITIONS → --topic-partitions), under its
 * group's heading. Commander only collects the text: `loadConfig` reads the variables and validates both, so a
 * flag and its variable are checked by the same code. `imgpipe help settings` shows the defaults and variables
 * (src/cli/compact-help.ts); a secret's value is never printed.
 */
function settingOptions(entries: readonly SettingsEntry[] = Object.keys(SETTING_GROUPS) as SettingGroupName[]): Option[] {
  const options = settingsOf(entries).map(({ name, group }) => {
    const setting: Setting<unknown> = SETTINGS[name]
    return new Option(`--${flagName(setting.env)} <${setting.arg}>`, plainText(setting.help)).helpGroup(`${SETTING_GROUPS[group].heading}:`)
  })
  // The flag's name before every setting had one; kept so that scripts using it still work.
  const legacy = options.some((option) => option.long === `--${flagName(SETTINGS.topicPartitions.env)}`)
    ? [new Option('--partitions <n>', 'the former name of --topic-partitions').hideHelp()]
    : []
  for (const option of [...options, ...legacy]) settingFlags.add(option)
  return [...options, ...legacy]
}

/** Adds the setting flags of the settings `command` reads (COMMAND_SETTINGS) after its own options. */
export function addSettingOptions(command: { addOption(option: Option): unknown }, entries: readonly SettingsEntry[]): void {
  for (const option of settingOptions(entries)) command.addOption(option)
}

/** The setting whose flag is `flag` (`--event-threshold`), if any. */
export function settingOfFlag(flag: string): SettingName | undefined {
  return SETTING_NAMES.find((name) => `--${flagName(SETTINGS[name].env)}` === flag)
}

/** The setting flags given on the command line (undefined for the others), by setting name. */
export function settingOverrides(flags: Record<string, unknown>): ConfigOverrides {
  const overrides: ConfigOverrides = {}
  for (const name of SETTING_NAMES) {
    const value = flags[attributeName(name)]
    if (typeof value === 'string') overrides[name] = value
  }
  if (overrides.topicPartitions === undefined && typeof flags['partitions'] === 'string') overrides.topicPartitions = flags['partitions']
  return overrides
}

/** Commander's key of a setting's flag: --topic-partitions → topicPartitions. */
function attributeName(name: SettingName): string {
  return new Option(`--${flagName(SETTINGS[name].env)} <value>`).attributeName()
}
