import { ConfigError } from '../core/errors.js'
import { givenValue, type ConfigOverrides } from './load-config.js'
import { invalid, type Env, type ParseContext } from './setting.js'
import { SETTINGS } from './settings.js'

/** The viewer's exposure and limits (`imgpipe web`), read apart from `Config` as no other command needs them. */
export interface WebSettings {
  /** IMGPIPE_WEB_PORT, 0 meaning any free port; the command's --port wins over it. */
  port: number
  /** IMGPIPE_WEB_HOST; the command's --host wins over it. */
  host: string
  /** From IMGPIPE_WEB_TOKEN: asked for by every route but /health when set; never printed. */
  token: string | undefined
  /** `auto`: a token is required to listen beyond loopback. `off`: serve without one anyway. */
  auth: 'auto' | 'off'
  /** Host names the viewer answers to besides localhost and the address it is bound to; `*` for any. */
  allowedHosts: string[]
  maxConnections: number
  /** Open `/events` streams, in all and per client address. */
  maxEventStreams: number
  maxEventStreamsPerClient: number
}

/** IMGPIPE_WEB_TOKEN's check; its messages never echo the value. */
export function webToken(value: string, context: ParseContext): string {
  if (value.length < 16 || /\s/.test(value)) throw new ConfigError(`${context.variable} is invalid: at least 16 characters, no spaces`)
  return value
}

/** IMGPIPE_WEB_ALLOWED_HOSTS: comma-separated host names, lowercased; empty entries dropped. */
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

/** The web settings from their flags, else variables, else defaults, through the settings table's parsers. */
export function loadWebSettings(env: Env = process.env, overrides: ConfigOverrides = {}, cwd = process.cwd()): WebSettings {
  const context = (variable: string): ParseContext => ({
    variable,
    cwd,
    env,
    given: (name) => givenValue(name, env, overrides),
    variableOf: (name) => SETTINGS[name].env,
  })
  const read = <T>(name: keyof typeof SETTINGS, parse: (value: string, context: ParseContext) => T): T | undefined => {
    const setting = SETTINGS[name] as { env: string; default?: string | number }
    const value = givenValue(name, env, overrides) ?? (setting.default === undefined ? undefined : String(setting.default))
    return value === undefined ? undefined : parse(value, context(setting.env))
  }
  return {
    port: read('webPort', SETTINGS.webPort.parse) ?? 8000,
    host: read('webHost', SETTINGS.webHost.parse) ?? '127.0.0.1',
    token: read('webToken', SETTINGS.webToken.parse),
    auth: read('webAuth', SETTINGS.webAuth.parse) ?? 'auto',
    allowedHosts: read('webAllowedHosts', SETTINGS.webAllowedHosts.parse) ?? [],
    maxConnections: read('webMaxConnections', SETTINGS.webMaxConnections.parse) ?? 256,
    maxEventStreams: read('webMaxEventStreams', SETTINGS.webMaxEventStreams.parse) ?? 100,
    maxEventStreamsPerClient: read('webMaxEventStreamsPerClient', SETTINGS.webMaxEventStreamsPerClient.parse) ?? 8,
  }
}
