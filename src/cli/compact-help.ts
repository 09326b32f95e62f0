import { type Command, Help, type HelpConfiguration, type Option } from 'commander'
import { flagName, SETTINGS } from '../config/settings.js'
import type { Setting } from '../config/setting.js'
import { defaultMarkdown, plainText } from '../config/settings-docs.js'
import { isSettingOption, SETTING_GROUPS, settingsOf, type SettingGroupName } from './setting-options.js'

/**
 * A command's help: its own options as commander lays them out, then its setting flags, one line per group
 * (wrapped when long) without their meanings: one line each made `imgpipe analyze --help` 57 lines for its
 * 33 settings, and `imgpipe db --help` 64 for settings it has no use for. `imgpipe help settings` prints every setting with its meaning, default and variable.
 */
export const compactHelp: HelpConfiguration = {
  formatHelp(cmd: Command, helper: Help): string {
    const settings = helper.visibleOptions(cmd).filter(isSettingOption)
    if (settings.length === 0) return Help.prototype.formatHelp.call(helper, cmd, helper)
    // A helper that does not see the settings, so that their long terms do not widen the own options' column.
    const own = Object.create(helper) as Help
    own.visibleOptions = (command) => helper.visibleOptions(command).filter((option) => !isSettingOption(option))
    const text = Help.prototype.formatHelp.call(own, cmd, own)
    return `${text}\n${settingsSection(settings, helper).join('\n')}\n`
  },
}

const SETTINGS_TITLE = 'Settings: a flag overrides its IMGPIPE_ variable (all: imgpipe help settings)'

/** One item per group heading: `Storage:  --database-url --database-password --object-store-url`. */
function settingsSection(settings: readonly Option[], helper: Help): string[] {
  const groups = helper.groupItems(settings as Option[], settings as Option[], (option) => option.helpGroupHeading ?? 'Settings:')
  const width = Math.max(...[...groups.keys()].map((heading) => heading.length))
  const items = [...groups].map(([heading, options]) =>
    helper.formatItem(heading, width, options.map((option) => option.long ?? option.flags).join(' '), helper),
  )
  return [helper.styleTitle(SETTINGS_TITLE), ...items]
}

/**
 * `imgpipe settings` (and so `imgpipe help settings`): every setting under its group's heading, with its
 * flag, variable and default on one line and its meaning wrapped below (the longest flag left a column of
 * 38 characters for the meaning, too narrow for commander to wrap).
 */
export function registerSettingsCommand(program: Command): void {
  program
    .command('settings')
    .description('every setting: flag, variable, default, meaning')
    .configureHelp({ formatHelp: (_command: Command, helper: Help) => settingsTable(helper) })
    .action((_options: unknown, command: Command) => {
      process.stdout.write(command.helpInformation())
    })
}

function settingsTable(helper: Help): string {
  const width = helper.helpWidth ?? 80
  const lines = [
    ...helper.boxWrap('Each flag overrides its variable; a command takes the flags of the settings it reads.', width).split('\n'),
  ]
  for (const [group, { heading }] of Object.entries(SETTING_GROUPS)) {
    lines.push('', helper.styleTitle(`${heading}:`))
    for (const { name } of settingsOf([group as SettingGroupName])) {
      const setting: Setting<unknown> = SETTINGS[name]
      const shown = setting.default === undefined && setting.defaultText === undefined ? undefined : defaultMarkdown(setting)
      const term = `--${flagName(setting.env)} <${setting.arg}>  ${setting.env}`
      lines.push(`  ${term}${shown === undefined || setting.secret === true ? '' : `  default: ${plainText(shown)}`}`)
      const help = `${plainText(setting.help)}${setting.secret === true ? ' (prefer the variable: flags show in the process list)' : ''}`
      lines.push(
        ...helper
          .boxWrap(help, width - 6)
          .split('\n')
          .map((line) => `      ${line}`),
      )
    }
  }
  return `${lines.join('\n')}\n`
}
