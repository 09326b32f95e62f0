import { busFromUrl, catalogFromUrl, type BusOptions, type CatalogOptions } from '../adapters/backend-options.js'
import { invalid } from '../core/setting-values.js'
import type { ParseContext } from './setting.js'

/**
 * The parsers of the URL settings in the table (settings.ts). The backends' URLs are parsed by the adapters they
 * name (backend-options.ts and each adapter's options file); here they are handed the settings read alongside,
 * by name, since the adapters know no settings.
 */

/** IMGPIPE_DATABASE_URL, with IMGPIPE_DATABASE_PASSWORD: the password is never in the URL. */
export function databaseUrl(value: string, context: ParseContext): CatalogOptions {
  return catalogFromUrl(value, {
    ...context,
    password: context.given('databasePassword'),
    passwordSetting: context.variableOf('databasePassword'),
  })
}

/** IMGPIPE_BROKER_URL, with the four IMGPIPE_KAFKA_* settings (read for a Kafka URL only). */
export function brokerUrl(value: string, context: ParseContext): BusOptions {
  const security = (name: string): { value: string | undefined; variable: string } => ({
    value: context.given(name),
    variable: context.variableOf(name),
  })
  return busFromUrl(value, {
    ...context,
    security: {
      caFile: security('kafkaCaFile'),
      saslMechanism: security('kafkaSaslMechanism'),
      saslUsername: security('kafkaSaslUsername'),
      saslPassword: security('kafkaSaslPassword'),
    },
  })
}

/** IMGPIPE_SCHEMA_REGISTRY_URL: http(s), its password a setting of its own (IMGPIPE_SCHEMA_REGISTRY_PASSWORD), never in it. */
export function schemaRegistryUrl(value: string, context: ParseContext): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid(context.variable, value, 'expected an http:// or https:// URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(context.variable, value, 'expected an http:// or https:// URL')
  // Credentials never sit in a URL that may be printed: the password has its own secret setting.
  if (url.password !== '') {
    throw invalid(context.variable, value, `put the password in ${context.variableOf('schemaRegistryPassword')}, not the URL`)
  }
  return value
}

/** IMGPIPE_PUBLIC_URL: the viewer's absolute base, `http(s)://host[:port][/path]`. */
export function publicUrl(value: string, context: ParseContext): string {
  if (!/^https?:\/\/[^/@\s]+(\/\S*)?$/.test(value)) throw invalid(context.variable, value, 'expected http(s)://host[:port][/path]')
  return value
}

/** IMGPIPE_SMTP_URL: `smtp://host:port` or `smtps://host:port`; the login is in settings of its own. */
export function smtpUrl(value: string, context: ParseContext): string {
  if (!/^smtps?:\/\/[^/@\s]+\/?(\?\S*)?$/.test(value)) {
    const login = `${context.variableOf('smtpUsername')}/${context.variableOf('smtpPassword')}`
    throw invalid(context.variable, value, `expected smtp://host:port or smtps://host:port, the login in ${login}`)
  }
  return value
}
