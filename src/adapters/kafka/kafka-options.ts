import { readFileSync } from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../../core/errors.js'
import { invalid, type UrlContext } from '../../core/setting-values.js'

/** The SASL mechanisms @platformatic/kafka implements itself (OAUTHBEARER and GSSAPI need code of their own). */
export const KAFKA_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number]

/** TLS to every broker (`kafkas://`); the certificate is always verified, and its name checked against the host. */
export interface KafkaTlsOptions {
  /**
   * PEM bundle: these CAs, and only these, are trusted (as with a Java client's truststore). Undefined:
   * Node's CAs plus NODE_EXTRA_CA_CERTS.
   */
  ca?: string
}

export interface KafkaSaslOptions {
  mechanism: KafkaSaslMechanism
  username: string
  /** Never printed nor part of a description. */
  password: string
}

/** Where the brokers are and how to reach them. */
export interface KafkaBrokerOptions {
  /** Bootstrap brokers as `host:port`. */
  brokers: string[]
  clientId: string
  /** TLS to every broker (`kafkas://`); undefined for plaintext. */
  tls?: KafkaTlsOptions | undefined
  /** SASL authentication; undefined for none. */
  sasl?: KafkaSaslOptions | undefined
}

/**
 * The settings an operator changes to fix a refused login or an untrusted certificate, named in the
 * hints of kafka-errors.ts; the configuration's settings table takes its variable names from here.
 */
export const KAFKA_SECURITY_VARIABLES = {
  caFile: 'IMGPIPE_KAFKA_CA_FILE',
  saslMechanism: 'IMGPIPE_KAFKA_SASL_MECHANISM',
  saslUsername: 'IMGPIPE_KAFKA_SASL_USERNAME',
  saslPassword: 'IMGPIPE_KAFKA_SASL_PASSWORD',
} as const

/** `kafkas://h:1,h2:2 (SASL SCRAM-SHA-256 as app)`: where the brokers are, never the password. */
export function describeKafkaBrokers(options: KafkaBrokerOptions): string {
  const url = `${options.tls === undefined ? 'kafka' : 'kafkas'}://${options.brokers.join(',')}`
  return options.sasl === undefined ? url : `${url} (SASL ${options.sasl.mechanism} as ${options.sasl.username})`
}

/** What the URL's parser needs besides the URL: the security settings, given apart from it, with their names. */
export interface KafkaUrlContext extends UrlContext {
  security: Record<keyof typeof KAFKA_SECURITY_VARIABLES, { value: string | undefined; variable: string }>
}

/**
 * `kafka://host:port,...` (plaintext) or `kafkas://host:port,...` (TLS) into the adapter's options. SASL and the
 * CA bundle come from their own settings (IMGPIPE_KAFKA_*); a relative CA path is resolved against the cwd.
 */
export function kafkaFromUrl(value: string, context: KafkaUrlContext): KafkaBrokerOptions {
  const bad = (why: string): Error => invalid(context.variable, value, why)
  const match = /^(kafkas?):\/\/([^/?#]+)\/?(?:\?(.*))?$/.exec(value)
  if (match === null) throw bad('expected memory:, kafka://host:port[,host:port...] or kafkas://host:port[,...] (TLS)')
  const brokers = (match[2] ?? '').split(',').map((entry) => entry.trim())
  for (const broker of brokers) {
    if (broker.includes('@')) throw bad('credentials do not belong in the URL')
    const port = /^(?:[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(broker)?.[1]
    if (port === undefined || Number(port) < 1 || Number(port) > 65535) {
      throw bad(`${JSON.stringify(broker)} is not host:port (port 1 to 65535)`)
    }
  }
  const params = new URLSearchParams(match[3] ?? '')
  for (const key of params.keys()) {
    if (key !== 'clientId') throw bad(`unknown option ${JSON.stringify(key)} (known: clientId)`)
  }
  const clientId = params.get('clientId') ?? 'imgpipe'
  if (clientId === '') throw bad('clientId must not be empty')
  const tls = match[1] === 'kafkas' ? kafkaTls(context) : undefined
  if (tls === undefined && present(context.security.caFile.value) !== undefined) {
    // A CA bundle for a plaintext URL means TLS was meant: connecting without it would be a silent downgrade.
    throw new ConfigError(
      `${context.security.caFile.variable} is set but ${context.variable} is kafka://, which is plaintext: use kafkas:// for TLS`,
    )
  }
  return { brokers, clientId, tls, sasl: kafkaSasl(context) }
}

/** Undefined for an empty value: an empty flag unsets, like a blank variable. */
function present(value: string | undefined): string | undefined {
  return value === '' ? undefined : value
}

function kafkaTls(context: KafkaUrlContext): KafkaTlsOptions {
  const file = present(context.security.caFile.value)
  if (file === undefined) return {}
  const variable = context.security.caFile.variable
  // Read now, so a wrong path stops the process at start-up rather than at its first connection.
  let ca: string
  try {
    ca = readFileSync(path.resolve(context.cwd, file), 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error))
    throw new ConfigError(`${variable}=${JSON.stringify(file)} cannot be read (${reason})`)
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`${variable}=${JSON.stringify(file)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`)
  }
  return { ca }
}

/** SASL from IMGPIPE_KAFKA_SASL_*: all three or none. Messages name variables, never echo the password. */
function kafkaSasl(context: KafkaUrlContext): KafkaSaslOptions | undefined {
  const mechanismValue = present(context.security.saslMechanism.value)
  const username = present(context.security.saslUsername.value)
  const password = context.security.saslPassword.value
  const [mechanismVariable, usernameVariable, passwordVariable] = [
    context.security.saslMechanism.variable,
    context.security.saslUsername.variable,
    context.security.saslPassword.variable,
  ]
  if (mechanismValue === undefined) {
    if (username === undefined && password === undefined) return undefined
    const given = username === undefined ? passwordVariable : usernameVariable
    throw new ConfigError(`${given} is set but ${mechanismVariable} is not: set it to one of ${KAFKA_SASL_MECHANISMS.join(', ')}`)
  }
  const mechanism = KAFKA_SASL_MECHANISMS.find((known) => known === mechanismValue.toUpperCase())
  if (mechanism === undefined) {
    throw new ConfigError(
      `${mechanismVariable}=${JSON.stringify(mechanismValue)} is invalid: expected one of ${KAFKA_SASL_MECHANISMS.join(', ')}`,
    )
  }
  if (username === undefined || password === undefined) {
    const missing = [...(username === undefined ? [usernameVariable] : []), ...(password === undefined ? [passwordVariable] : [])]
    throw new ConfigError(`${mechanismVariable}=${mechanism} needs ${missing.join(' and ')} too`)
  }
  return { mechanism, username, password }
}
