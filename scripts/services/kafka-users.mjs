// Creates (or resets) the test broker's SCRAM user and proves that both secured listeners let it in.
// Run by `scripts/services.sh up|start|restart kafka` through kafka_users, once per log dir and password:
//
//   KAFKA_SASL_PASSWORD=... node kafka-users.mjs <plaintext host:port> <sasl host:port> <tls host:port> <ca.pem> <user>
//
// KRaft keeps SCRAM credentials in the cluster metadata, and a log dir formatted before the SASL listeners
// existed has none, so they are written through the AlterUserScramCredentials API (the Admin client has no
// wrapper for it; the protocol call is exported). The password comes from the environment, never argv.
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Admin, alterUserScramCredentialsV0, Connection } from '@platformatic/kafka'

const [plaintext, saslAddress, tlsAddress, caFile, user] = process.argv.slice(2)
const password = process.env.KAFKA_SASL_PASSWORD
if (!plaintext || !saslAddress || !tlsAddress || !caFile || !user || !password) {
  console.error('usage: KAFKA_SASL_PASSWORD=... node kafka-users.mjs <plaintext> <sasl> <tls> <ca.pem> <user>')
  process.exit(2)
}

// Kafka's ScramMechanism ids and digests; 4096 iterations is the minimum the broker accepts.
const MECHANISMS = [
  { name: 'SCRAM-SHA-256', id: 1, digest: 'sha256', length: 32 },
  { name: 'SCRAM-SHA-512', id: 2, digest: 'sha512', length: 64 },
]
const ITERATIONS = 8192

function hostPort(address) {
  const at = address.lastIndexOf(':')
  return [address.slice(0, at), Number(address.slice(at + 1))]
}

async function upsertUser() {
  const connection = new Connection('imgpipe-services')
  try {
    await connection.connect(...hostPort(plaintext))
    // One request per mechanism: the broker refuses to alter one user twice in a request (DUPLICATE_RESOURCE).
    for (const { id, digest, length } of MECHANISMS) {
      const salt = randomBytes(32)
      // SaltedPassword = Hi(password, salt, i) of RFC 5802, i.e. PBKDF2 with the mechanism's HMAC.
      const saltedPassword = pbkdf2Sync(password, salt, ITERATIONS, length, digest)
      await alterUserScramCredentialsV0.api.async(connection, [], [{ name: user, mechanism: id, iterations: ITERATIONS, salt, saltedPassword }])
    }
  } finally {
    await connection.close()
  }
}

/** Logs in with `mechanism`; the new credentials reach the listeners through the metadata log, so retry briefly. */
async function login(address, mechanism, tls) {
  const deadline = Date.now() + 30_000
  for (;;) {
    const admin = new Admin({
      clientId: 'imgpipe-services',
      bootstrapBrokers: [address],
      sasl: { mechanism, username: user, password },
      ...(tls ? { tls: { ca: readFileSync(caFile) } } : {}),
      retries: 0,
    })
    try {
      await admin.metadata({ topics: [] })
      return
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${mechanism} login on ${address} failed`, { cause: error })
      await new Promise((resolve) => setTimeout(resolve, 250))
    } finally {
      await admin.close()
    }
  }
}

try {
  await upsertUser()
  for (const { name } of [...MECHANISMS, { name: 'PLAIN' }]) {
    await login(saslAddress, name, false)
    await login(tlsAddress, name, true)
  }
  console.log(`SCRAM user ${user} written; SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN logins on ${saslAddress} and ${tlsAddress} ok`)
} catch (error) {
  console.error(error)
  process.exit(1)
}
