/**
 * How every @platformatic/kafka client of the bus connects (Admin, Producer, Consumer): brokers, TLS and SASL
 * are built here once, so that no client can connect differently from the others.
 *
 * Client options used (@platformatic/kafka 1.x, the ConnectionOptions every client takes):
 *   bootstrapBrokers, tls (node:tls ConnectionOptions), tlsServerName (true: SNI = the broker's host),
 *   sasl: { mechanism, username, password } (password as a provider function)
 */
import { isIP } from 'node:net'
import type { ConnectionOptions as TlsOptions } from 'node:tls'
import type { SASLOptions } from '@platformatic/kafka'
import type { KafkaBrokerOptions } from './kafka-options.js'

/** Where the brokers are and how to reach them. */
export type KafkaConnectionSettings = Pick<KafkaBrokerOptions, 'brokers' | 'tls' | 'sasl'>

/** The connection part of every client's options. */
export interface KafkaClientConnection {
  bootstrapBrokers: string[]
  tls?: TlsOptions
  tlsServerName?: boolean
  sasl?: SASLOptions
}

export function kafkaClientConnection({ brokers, tls, sasl }: KafkaConnectionSettings): KafkaClientConnection {
  const options: KafkaClientConnection = { bootstrapBrokers: brokers }
  if (tls !== undefined) {
    // Node's default, written out because nothing may turn verification off. A `ca` replaces Node's CAs
    // (and NODE_EXTRA_CA_CERTS), like a Java client's truststore.
    options.tls = tls.ca === undefined ? { rejectUnauthorized: true } : { rejectUnauthorized: true, ca: tls.ca }
    // Node sends no SNI unless told to, and some services route connections on it (Confluent Cloud). RFC 6066
    // allows no IP address as server name (Node warns), so brokers given by address connect without.
    options.tlsServerName = brokers.every((broker) => isIP(hostOf(broker)) === 0)
  }
  if (sasl !== undefined) {
    const { password } = sasl
    // A provider rather than the string: the clients keep their options, and those may end up in a dump.
    options.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: () => password }
  }
  return options
}

/** `host:port` or `[v6]:port` → host (brackets removed). */
function hostOf(broker: string): string {
  const host = broker.slice(0, broker.lastIndexOf(':'))
  return host.startsWith('[') ? host.slice(1, -1) : host
}
