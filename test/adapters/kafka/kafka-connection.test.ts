/**
 * The connection options every Kafka client of the bus gets: plaintext stays as it was, TLS always verifies,
 * SNI only for broker names, and the SASL password is not a plain value in the clients' options.
 */
import { Admin } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { kafkaClientConnection } from '../../../src/adapters/kafka/kafka-connection.js'

const sasl = { mechanism: 'SCRAM-SHA-512', username: 'app', password: 'S3cr3t-pa55' } as const

describe('kafkaClientConnection', () => {
  it('gives plaintext clients only the brokers', () => {
    expect(kafkaClientConnection({ brokers: ['h:1', 'h2:2'] })).toEqual({ bootstrapBrokers: ['h:1', 'h2:2'] })
  })

  it('verifies TLS with Node’s CAs, or with only the configured ones', () => {
    expect(kafkaClientConnection({ brokers: ['kafka.example:9093'], tls: {} }).tls).toEqual({ rejectUnauthorized: true })
    expect(kafkaClientConnection({ brokers: ['kafka.example:9093'], tls: { ca: 'PEM' } }).tls).toEqual({
      rejectUnauthorized: true,
      ca: 'PEM',
    })
  })

  it('sends SNI for broker names but not for IP addresses', () => {
    expect(kafkaClientConnection({ brokers: ['b-1.example:9096', 'b-2.example:9096'], tls: {} }).tlsServerName).toBe(true)
    expect(kafkaClientConnection({ brokers: ['127.0.0.1:9093'], tls: {} }).tlsServerName).toBe(false)
    expect(kafkaClientConnection({ brokers: ['[::1]:9093'], tls: {} }).tlsServerName).toBe(false)
    expect(kafkaClientConnection({ brokers: ['b-1.example:9096', '10.0.0.2:9096'], tls: {} }).tlsServerName).toBe(false)
    expect(kafkaClientConnection({ brokers: ['b-1.example:9096'] }).tlsServerName).toBeUndefined()
  })

  it('passes SASL with the password behind a provider, so the options hold no copy of it', async () => {
    const options = kafkaClientConnection({ brokers: ['h:1'], sasl })
    expect(options.sasl).toMatchObject({ mechanism: 'SCRAM-SHA-512', username: 'app' })
    expect(JSON.stringify(options)).not.toContain(sasl.password)
    const password = options.sasl?.password
    expect(typeof password === 'function' ? await password() : password).toBe(sasl.password)
  })

  it('is accepted by the library’s option validation', async () => {
    const admin = new Admin({ ...kafkaClientConnection({ brokers: ['kafka.example:9093'], tls: { ca: 'PEM' }, sasl }), clientId: 'test' })
    await admin.close()
  })
})
