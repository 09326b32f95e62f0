import type { Setting } from './setting.js'
import { flagName, SETTING_NAMES, SETTINGS } from './settings.js'

/** The default as the README writes it: `value`, a wording of its own, or – for none. */
export function defaultMarkdown(setting: Setting<unknown>): string {
  if (setting.defaultText !== undefined) return setting.defaultText
  return setting.default === undefined ? '–' : `\`${setting.default}\``
}

/** Markdown without its code marks, for a terminal. */
export function plainText(markdown: string): string {
  return markdown.replaceAll('`', '')
}

/** The README's Configuration table, one row per setting, as test/config/settings.test.ts expects it there. */
export function settingsMarkdownTable(): string {
  const rows = SETTING_NAMES.map((name) => {
    const setting: Setting<unknown> = SETTINGS[name]
    return `| \`${setting.env}\` | \`--${flagName(setting.env)}\` | ${defaultMarkdown(setting)} | ${setting.help} |`
  })
  return ['| Variable | Flag | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n')
}
