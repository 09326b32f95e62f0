import { Option } from 'commander'
import { flagName, SETTING_NAMES, SETTINGS, type SettingName } from '../config/settings.js'
import type { ConfigOverrides } from '../config/load-config.js'
import type { Setting } from '../config/setting.js'
import { defaultMarkdown, plainText } from '../config/settings-docs.js'

/**
 * One flag per setting, named after its variable (IMGPIPE_TOPIC_PARTITIONS → --topic-partitions), with the
 * variable and default in its help. Commander only collects the text: `loadConfig` reads the variables and
 * validates both, so a flag and its variable are checked by the same code with the same message. A secret's
 * help shows no default, and its value is never printed.
 */
export function settingOptions(): Option[] {
  const options = SETTING_NAMES.map((name) => {
    const setting: Setting<unknown> = SETTINGS[name]
    const notes = [
      ...(setting.default === undefined || setting.secret === true ? [] : [`default: ${plainText(defaultMarkdown(setting))}`]),
      `env: ${setting.env}`,
      ...(setting.secret === true ? ['prefer the variable: flags show in the process list'] : []),
    ]
    return new Option(`--${flagName(setting.env)} <${setting.arg}>`, `${plainText(setting.help)} (${notes.join('; ')})`)
  })
  // The flag's name before every setting had one; kept so that scripts using it still work.
  return [...options, new Option('--partitions <n>', 'the former name of --topic-partitions').hideHelp()]
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
