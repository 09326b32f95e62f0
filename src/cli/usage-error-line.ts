import type { Command } from 'commander'
import { SETTINGS } from '../config/settings.js'
import { settingOfFlag } from './setting-options.js'

/**
 * Commander's usage error as the CLI's other errors are printed: one line, `imgpipe: <what> [IMGPIPE_USAGE]`,
 * naming the command's help. Commander writes `error: …`, a suggestion on a line of its own, and (with
 * showHelpAfterError) a second line; a script reading stderr line by line saw three errors.
 */
export function usageErrorLine(commanderMessage: string, command: Command): string {
  const message = commanderMessage
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/ is invalid\. /, ' is invalid: ')
    .replace(/: Allowed choices are /, ': one of ')
    .trim()
    .replace(/\.$/, '')
  return `imgpipe: ${explained(message, command)} — see ${commandPath(command)} --help [IMGPIPE_USAGE]\n`
}

/** `imgpipe db counts`. */
export function commandPath(command: Command): string {
  const names: string[] = []
  for (let current: Command | null = command; current !== null; current = current.parent) names.unshift(current.name())
  return names.join(' ')
}

/** A setting flag that this command does not take: say that it does not read the setting, which exists. */
function explained(message: string, command: Command): string {
  const flag = /^unknown option '(--[^'=]+)/.exec(message)?.[1]
  const setting = flag === undefined ? undefined : settingOfFlag(flag)
  if (setting === undefined) return message
  // `imgpipe --database-url x status`: the flags were global once; now each command takes those it reads.
  if (command.commands.length > 0) return `${message}: setting flags go after the command (imgpipe <command> ${flag} …)`
  return `${message}: ${commandPath(command)} does not read ${SETTINGS[setting].env}`
}
