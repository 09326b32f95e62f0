import { ConfigError } from '../core/errors.js'
import { invalid, type Env, type UrlContext } from '../core/setting-values.js'

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

/**
 * What a setting's parser may use besides its value. Setting names are strings here, not `SettingName`: this
 * file is what the table (settings.ts) is built from, and importing the table back would make a circle.
 */
export interface ParseContext extends UrlContext {
  /** The process environment, for the drivers' own variables (MYSQL_PWD, PGPASSWORD). */
  env: Env
  /** Another setting's given value (its flag, else its variable), for settings read together (a URL and its password). */
  given(name: string): string | undefined
  /** Another setting's variable, for messages. */
  variableOf(name: string): string
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

/** A token of 16+ characters without spaces (IMGPIPE_WEB_TOKEN); its messages never echo the value. */
export function webToken(value: string, context: ParseContext): string {
  if (value.length < 16 || /\s/.test(value)) throw new ConfigError(`${context.variable} is invalid: at least 16 characters, no spaces`)
  return value
}

/** Comma-separated host names (IMGPIPE_WEB_ALLOWED_HOSTS), lowercased; empty entries dropped; `*` for any. */
export function hostList(value: string, context: ParseContext): string[] {
  const hosts = value
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '')
  for (const host of hosts) {
    if (host !== '*' && !/^[a-z0-9.:[\]_-]{1,253}$/.test(host)) throw invalid(context.variable, host, 'comma-separated host names')
  }
  return hosts
}
