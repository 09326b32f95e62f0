import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { BusOptions } from '../adapters/backend-options.js'
import { KAFKA_SASL_MECHANISMS, type KafkaSaslOptions, type KafkaTlsOptions } from '../adapters/kafka/kafka-options.js'
import { ConfigError } from '../core/errors.js'
import { invalid, type ParseContext } from './setting.js'

/**
 * `memory:`, `kafka://host:port,...` (plaintext) or `kafkas://host:port,...` (TLS) into the bus adapter's
 * options. SASL and the CA bundle come from their own settings (IMGPIPE_KAFKA_*), read only for a Kafka URL;
 * a relative CA path is resolved against the cwd.
 */
export function busFromUrl(value: string, context: ParseContext): BusOptions {
  if (value === 'memory:') return { kind: 'memory' }
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
  if (tls === undefined && present(context.given('kafkaCaFile')) !== undefined) {
    // A CA bundle for a plaintext URL means TLS was meant: connecting without it would be a silent downgrade.
    throw new ConfigError(
      `${context.variableOf('kafkaCaFile')} is set but ${context.variable} is kafka://, which is plaintext: use kafkas:// for TLS`,
    )
  }
  return { kind: 'kafka', brokers, clientId, tls, sasl: kafkaSasl(context) }
}

/** Undefined for an empty value: an empty flag unsets, like a blank variable. */
function present(value: string | undefined): string | undefined {
  return value === '' ? undefined : value
}

function kafkaTls(context: ParseContext): KafkaTlsOptions {
  const file = present(context.given('kafkaCaFile'))
  if (file === undefined) return {}
  const variable = context.variableOf('kafkaCaFile')
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
function kafkaSasl(context: ParseContext): KafkaSaslOptions | undefined {
  const mechanismValue = present(context.given('kafkaSaslMechanism'))
  const username = present(context.given('kafkaSaslUsername'))
  const password = context.given('kafkaSaslPassword')
  const [mechanismVariable, usernameVariable, passwordVariable] = [
    context.variableOf('kafkaSaslMechanism'),
    context.variableOf('kafkaSaslUsername'),
    context.variableOf('kafkaSaslPassword'),
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
