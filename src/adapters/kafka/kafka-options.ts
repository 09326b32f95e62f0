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
