import path from 'node:path'
import { ConfigError } from '../core/errors.js'
import { redactUrl } from '../core/redact-url.js'
import type { SettingName } from './settings.js'

export type Env = Record<string, string | undefined>

/** One row of the settings table (src/config/settings.ts). */
export interface Setting<T> {
  /** The environment variable; the flag is named after it (IMGPIPE_TOPIC_PARTITIONS → --topic-partitions). */
  readonly env: `IMGPIPE_${string}`
  /** The flag's value placeholder in --help: `url` → `--database-url <url>`. */
  readonly arg: string
  /** The value when neither the flag nor the variable is set, parsed like a given one; none: optional. */
  readonly default?: string | number
  /** The README's and --help's wording of the default, when the value alone would mislead. */
  readonly defaultText?: string
  /**
   * Never echoed: no default or value in --help or error messages, taken exactly as given (not trimmed;
   * empty means unset). Prefer the variable to the flag, which other users can see in the process list.
   */
  readonly secret?: boolean
  /** One line for the README's Configuration table and `--help` (markdown backticks are dropped there). */
  readonly help: string
  /** Validates a given (or default) value; the one place its error messages are written. */
  readonly parse: (value: string, context: ParseContext) => T
}

/** What a setting's parser may use besides its value. */
export interface ParseContext {
  /** The setting's variable: messages name it, whether its flag or the environment gave the value. */
  variable: string
  /** Relative paths are resolved against this. */
  cwd: string
  /** The process environment, for the drivers' own variables (MYSQL_PWD, PGPASSWORD). */
  env: Env
  /** Another setting's given value (its flag, else its variable), for settings read together (a URL and its password). */
  given(name: SettingName): string | undefined
  /** Another setting's variable, for messages. */
  variableOf(name: SettingName): string
}

/** The error of a bad value: names the variable, echoes the value with any credentials in it removed. */
export function invalid(variable: string, value: string, why: string): ConfigError {
  return new ConfigError(`${variable}=${JSON.stringify(redactUrl(value))} is invalid: ${why}`)
}

/** The value unchanged (secrets, and settings that another setting's parser reads). */
export function asGiven(value: string): string {
  return value
}

/** A decimal number from `min` to `max`. */
export function decimal(min: number, max: number): (value: string, context: ParseContext) => number {
  return (value, context) => {
    // Decimal notation only: Number() would read '' as 0 and accept '0x1f' or ' '.
    const number = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(value) ? Number(value) : Number.NaN
    if (!Number.isFinite(number) || number < min || number > max) {
      throw invalid(context.variable, value, `expected a number from ${min} to ${max}`)
    }
    return number
  }
}

/** An integer from `min` to `max`, digits only. */
export function integer(min: number, max: number): (value: string, context: ParseContext) => number {
  const inRange = decimal(min, max)
  return (value, context) => {
    if (!/^\d+$/.test(value)) throw invalid(context.variable, value, `expected an integer from ${min} to ${max}`)
    return inRange(value, context)
  }
}

/** One of `choices`, exactly. */
export function oneOf<const T extends string>(choices: readonly T[]): (value: string, context: ParseContext) => T {
  return (value, context) => {
    const choice = choices.find((known) => known === value)
    if (choice === undefined) throw invalid(context.variable, value, `one of ${choices.join(', ')}`)
    return choice
  }
}

/** decodeURIComponent that reports a malformed escape as a ConfigError of the setting instead of a URIError. */
export function decode(context: ParseContext, value: string, part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw invalid(context.variable, value, `malformed percent-escape in ${JSON.stringify(part)}`)
  }
}

/** `file:/abs`, `file:///abs`, `file:rel`, `sqlite:/abs.db`, `sqlite:///abs.db`, `sqlite:rel.db`: the part after the scheme, resolved. */
export function localPath(context: ParseContext, value: string, rest: string): string {
  const stripped = rest.startsWith('///') ? rest.slice(2) : rest.startsWith('//') ? rest.slice(1) : rest
  return path.resolve(context.cwd, decode(context, value, stripped))
}
