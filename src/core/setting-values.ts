import path from 'node:path'
import { ConfigError } from './errors.js'
import { redactUrl } from './redact-url.js'

/**
 * What every parser of a setting's value shares, wherever it lives: the settings table (src/config) and the
 * adapters' URL parsers, which import no config (STANDARDS.md, Layers) and so find these here.
 */
export type Env = Record<string, string | undefined>

/** What a URL parser may use besides the value. */
export interface UrlContext {
  /** The setting's name as the user gave it (its variable): messages name it. */
  variable: string
  /** Relative paths are resolved against this. */
  cwd: string
}

/** The error of a bad value: names the variable, echoes the value with any credentials in it removed. */
export function invalid(variable: string, value: string, why: string): ConfigError {
  return new ConfigError(`${variable}=${JSON.stringify(redactUrl(value))} is invalid: ${why}`)
}

/** decodeURIComponent that reports a malformed escape as a ConfigError of the setting instead of a URIError. */
export function decode(context: UrlContext, value: string, part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw invalid(context.variable, value, `malformed percent-escape in ${JSON.stringify(part)}`)
  }
}

/** `file:/abs`, `file:///abs`, `file:rel`, `sqlite:/abs.db`, `sqlite:///abs.db`, `sqlite:rel.db`: the part after the scheme, resolved. */
export function localPath(context: UrlContext, value: string, rest: string): string {
  const stripped = rest.startsWith('///') ? rest.slice(2) : rest.startsWith('//') ? rest.slice(1) : rest
  return path.resolve(context.cwd, decode(context, value, stripped))
}
