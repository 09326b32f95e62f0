// End-to-end check of the running services through the same client libraries the application uses:
// an S3 put/get/delete round trip and a Kafka create-topic / produce / consume-in-a-group / delete.
// Run by `scripts/services.sh check`, which sets the IMGPIPE_TEST_* and AWS_* variables first.
import { randomBytes } from 'node:crypto'
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'

const suffix = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`

async function s3() {
  const url = new URL(process.env.IMGPIPE_TEST_S3_URL)
  const client = new S3Client({
    endpoint: url.searchParams.get('endpoint'),
    region: url.searchParams.get('region'),
    forcePathStyle: url.searchParams.get('forcePathStyle') === 'true',
  })
  const Bucket = url.hostname
  const Key = `smoke/${suffix}.bin`
  const body = randomBytes(64 * 1024)
  try {
    await client.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentType: 'application/octet-stream' }))
    const got = await client.send(new GetObjectCommand({ Bucket, Key }))
    const back = Buffer.from(await got.Body.transformToByteArray())
    if (!back.equals(body)) throw new Error(`S3 round trip returned ${back.length} different bytes`)
    await client.send(new DeleteObjectCommand({ Bucket, Key }))
    return `s3: put/get/delete of ${body.length} bytes in ${Bucket} ok`
  } finally {
    client.destroy()
  }
}

async function kafka() {
  const bootstrapBrokers = [process.env.IMGPIPE_TEST_KAFKA_URL.replace(/^kafka:\/\//, '')]
  const topic = `imgpipe-smoke-${suffix}`
  const admin = new Admin({ clientId: 'imgpipe-smoke', bootstrapBrokers })
  const producer = new Producer({ clientId: 'imgpipe-smoke', bootstrapBrokers, serializers: stringSerializers })
  const consumer = new Consumer({
    clientId: 'imgpipe-smoke',
    groupId: `imgpipe-smoke-${suffix}`,
    bootstrapBrokers,
    deserializers: stringDeserializers,
  })
  try {
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 })
    const metadata = await admin.metadata({ topics: [topic] })
    const brokers = [...metadata.brokers.values()].map((b) => `${b.host}:${b.port}`)
    await producer.send({ messages: [{ topic, key: 'k', value: `hello ${suffix}` }] })
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true })
    const value = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message consumed within 30 s')), 30_000)
      stream.once('data', (message) => {
        clearTimeout(timer)
        resolve(message.value)
      })
      stream.once('error', reject)
    })
    await stream.close()
    if (value !== `hello ${suffix}`) throw new Error(`consumed ${JSON.stringify(value)}`)
    await admin.deleteTopics({ topics: [topic] })
    return `kafka: metadata (brokers ${brokers.join(', ')}), create topic, produce, consume in a group, delete topic ok`
  } finally {
    await consumer.close(true).catch(() => {})
    await producer.close().catch(() => {})
    await admin.close().catch(() => {})
  }
}

let failed = false
for (const [name, check] of [['s3', s3], ['kafka', kafka]]) {
  const started = performance.now()
  try {
    console.log(`${await check()} (${Math.round(performance.now() - started)} ms)`)
  } catch (error) {
    failed = true
    console.error(`${name}: FAILED: ${error?.stack ?? error}`)
  }
}
process.exit(failed ? 1 : 0)
