import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { Consumer, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { KafkaTopicChannel, kafkaTarget, parseKafkaTarget } from '../../../src/adapters/kafka-topic/kafka-topic-channel.js'
import { assertValidTarget } from '../../../src/cli/subscription-format.js'
import { sampleDelivery, subscriptionChannelContract } from '../../contracts/subscription-channel-contract.js'
import { kafkaBackend, kafkaTestBrokers } from '../../support/bus-backends.js'
import { uniqueName } from '../../support/integration.js'

const schema = JSON.parse(readFileSync(new URL('../../../schemas/alert-v1.json', import.meta.url), 'utf8')) as object
const ajv = new Ajv({ allErrors: true })
addFormats.default(ajv)
const validate = ajv.compile(schema)

/** A plain Kafka consumer (its own group, from the beginning), as an alert-stream user would run it. */
async function readTopic(brokers: string[], topic: string, count: number): Promise<Array<{ key: string; value: string }>> {
  const consumer = new Consumer({
    clientId: 'alert-reader',
    bootstrapBrokers: brokers,
    groupId: uniqueName('reader-'),
    deserializers: stringDeserializers,
  })
  const got: Array<{ key: string; value: string }> = []
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST })
    const timer = setTimeout(() => void stream.close(), 20_000)
    for await (const message of stream) {
      got.push({ key: message.key, value: message.value })
      if (got.length >= count) break
    }
    clearTimeout(timer)
    await stream.close()
  } finally {
    await new Promise<void>((resolve, reject) => consumer.close(true, (error) => (error ? reject(error) : resolve())))
  }
  return got
}

const brokers = kafkaTestBrokers()

subscriptionChannelContract('kafka-topic', async () => {
  if (brokers === null) return null
  const opened = await kafkaBackend(brokers).open()
  const topic = opened.topic('alerts-contract')
  return {
    channel: new KafkaTopicChannel(opened.bus, { partitions: 1 }),
    target: topic,
    invalidTarget: 'not a topic!',
    async received() {
      const messages = await readTopic(brokers, topic, 3)
      return messages.flatMap((message) =>
        (JSON.parse(message.value) as { alerts: { alertNum: number }[] }).alerts.map((item) => item.alertNum),
      )
    },
    cleanup: () => opened.cleanup(),
  }
})

describe.runIf(brokers !== null)('KafkaTopicChannel on a real broker', () => {
  it(
    'writes one message per alert, keyed by stream, valid against schemas/alert-v1.json; kcat reads the same',
    { timeout: 60_000 },
    async () => {
      const opened = await kafkaBackend(brokers!).open()
      try {
        const topic = opened.topic('alerts-ada')
        const channel = new KafkaTopicChannel(opened.bus, { partitions: 1 })
        const receipt = await channel.send(sampleDelivery(topic, 'delivery-7', [7, 8]))
        expect(receipt).toEqual({ responseCode: null, detail: `2 message(s) on ${topic}` })
        const messages = await readTopic(brokers!, topic, 2)
        expect(messages.map((message) => message.key)).toEqual(['cam-a', 'cam-a'])
        for (const message of messages) {
          const value: unknown = JSON.parse(message.value)
          expect(validate(value), JSON.stringify(validate.errors)).toBe(true)
          expect(value).toMatchObject({ deliveryId: 'delivery-7', subscription: 'contract' })
        }
        const { stdout } = await promisify(execFile)(
          'kcat',
          ['-C', '-b', brokers!.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k %s\n'],
          {
            timeout: 30_000,
          },
        )
        const lines = stdout.trim().split('\n')
        expect(lines.map((line) => line.split(' ')[0])).toEqual(['cam-a', 'cam-a'])
        expect(
          lines.map((line) => (JSON.parse(line.slice(line.indexOf(' ') + 1)) as { alerts: { alertNum: number }[] }).alerts[0]!.alertNum),
        ).toEqual([7, 8])
      } finally {
        await opened.cleanup()
      }
    },
  )

  it('marks every message of a test delivery test: true, valid against the schema', { timeout: 60_000 }, async () => {
    const opened = await kafkaBackend(brokers!).open()
    try {
      const topic = opened.topic('alerts-test-marker')
      const channel = new KafkaTopicChannel(opened.bus, { partitions: 1 })
      const delivery = sampleDelivery(topic, 'test-1', [3, 4])
      delivery.payload.test = true
      await channel.send(delivery)
      const values = (await readTopic(brokers!, topic, 2)).map((message) => JSON.parse(message.value) as { test?: boolean })
      expect(values.map((value) => value.test)).toEqual([true, true])
      for (const value of values) expect(validate(value), JSON.stringify(validate.errors)).toBe(true)
    } finally {
      await opened.cleanup()
    }
  })

  it('the schema rejects a message that is not an alert', () => {
    expect(validate({ ...JSON.parse(JSON.stringify(sampleDelivery('t', 'x', [1]).payload)), test: false })).toBe(false)
    expect(validate({ schema: 'imgpipe.alert/1', deliveryId: 'x', subscription: 'y', alerts: [] })).toBe(false)
    expect(validate({ schema: 'imgpipe.alert/1', deliveryId: 'x', subscription: 'y', alerts: [{ alertNum: 1 }] })).toBe(false)
  })
})

describe('parseKafkaTarget', () => {
  it('takes a topic name (JSON) or avro:<topic> and refuses anything else for good, the same check when adding a subscription', () => {
    expect(parseKafkaTarget('alerts.cam-a_1')).toEqual({ topic: 'alerts.cam-a_1', format: 'json' })
    expect(parseKafkaTarget('avro:alerts.cam-a_1')).toEqual({ topic: 'alerts.cam-a_1', format: 'avro' })
    expect(kafkaTarget('alerts.x', 'avro')).toBe('avro:alerts.x')
    expect(kafkaTarget('alerts.x', 'json')).toBe('alerts.x')
    expect(() => parseKafkaTarget('two words')).toThrow(expect.objectContaining({ code: 'IMGPIPE_DELIVERY_FAILED', canRetry: false }))
    expect(() => parseKafkaTarget('x'.repeat(250))).toThrow(/topic name/)
    expect(() => parseKafkaTarget('avro:')).toThrow(/topic name/)
    expect(() => parseKafkaTarget('json:alerts')).toThrow(/topic name/)
    expect(() => assertValidTarget('kafka-topic', 'two words', false)).toThrow(expect.objectContaining({ code: 'IMGPIPE_USAGE' }))
    expect(() => assertValidTarget('kafka-topic', 'alerts.cam-a_1', false)).not.toThrow()
    expect(() => assertValidTarget('kafka-topic', 'avro:alerts.cam-a_1', false)).not.toThrow()
  })
})
