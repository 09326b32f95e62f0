import type { Setting } from './setting.js'

/** The default as the README writes it: `value`, a wording of its own, or – for none. */
export function defaultMarkdown(setting: Setting<unknown>): string {
  if (setting.defaultText !== undefined) return setting.defaultText
  return setting.default === undefined ? '–' : `\`${setting.default}\``
}

/** Markdown without its code marks, for a terminal. */
export function plainText(markdown: string): string {
  return markdown.replaceAll('`', '')
}
