import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { KafkaTopicChannel } from '../../../src/adapters/kafka-topic/kafka-topic-channel.js'
import { MemoryBus } from '../../../src/adapters/memory/memory-bus.js'
import type { AlertPacketSource } from '../../../src/core/ports/alert-packet-source.js'
import type { BinaryBusMessage, Bus, BusMessage } from '../../../src/core/ports/bus.js'
import { sampleDelivery } from '../../contracts/subscription-channel-contract.js'
import { kafkaBackend, kafkaTestBrokers } from '../../support/bus-backends.js'

/** A bus that keeps what is published (the Kafka path is in test/e2e/avro-alert-stream.test.ts). */
function recordingBus(): Bus & { published: { topic: string; messages: (BusMessage | BinaryBusMessage)[] }[]; ensured: string[] } {
  const published: { topic: string; messages: (BusMessage | BinaryBusMessage)[] }[] = []
  const ensured: string[] = []
  const bus = new MemoryBus()
  return Object.assign(bus, {
    published,
    ensured,
    async ensureTopics(topics: readonly { name: string }[]) {
      ensured.push(...topics.map((topic) => topic.name))
    },
    async publish(topic: string, messages: readonly (BusMessage | BinaryBusMessage)[]) {
      published.push({ topic, messages: [...messages] })
    },
  })
}

/** Two packets for alert 1 (objects 7 and 9), none for the others (events without detections). */
const packets: AlertPacketSource = {
  async packetsOf(alert, topic) {
    if (alert.alertNum !== 1) return []
    return [
      { key: '7', value: Buffer.from([0, 0, 0, 0, 5, 1, topic.length]) },
      { key: '9', value: Buffer.from([0, 0, 0, 0, 5, 2, topic.length]) },
    ]
  },
}

describe('KafkaTopicChannel, avro: targets', () => {
  it('publishes the packets of every alert of a digest as bytes keyed by object, skipping alerts without detections', async () => {
    const bus = recordingBus()
    const channel = new KafkaTopicChannel(bus, { partitions: 2, packets })
    const receipt = await channel.send(sampleDelivery('avro:alerts.x', 'd-1', [1, 2, 3]))
    expect(receipt.detail).toBe('2 Avro packet(s) on alerts.x; 2 alert(s) without detections skipped')
    expect(bus.ensured).toEqual(['alerts.x'])
    expect(bus.published).toHaveLength(1)
    expect(bus.published[0]!.topic).toBe('alerts.x')
    expect(bus.published[0]!.messages.map((message) => message.key)).toEqual(['7', '9'])
    expect(bus.published[0]!.messages.map((message) => [...(message.value as Buffer)])).toEqual([
      [0, 0, 0, 0, 5, 1, 8],
      [0, 0, 0, 0, 5, 2, 8],
    ])
  })

  it('publishes nothing (and creates no topic) when no alert has detections', async () => {
    const bus = recordingBus()
    const receipt = await new KafkaTopicChannel(bus, { partitions: 1, packets }).send(sampleDelivery('avro:alerts.y', 'd-2', [4]))
    expect(receipt.detail).toBe('0 Avro packet(s) on alerts.y; 1 alert(s) without detections skipped')
    expect(bus.published).toEqual([])
    expect(bus.ensured).toEqual([])
  })

  it('sends no packet for a test delivery: a packet has no test mark', async () => {
    const bus = recordingBus()
    const delivery = sampleDelivery('avro:alerts.z', 'test-1', [1])
    delivery.payload.test = true
    const receipt = await new KafkaTopicChannel(bus, { partitions: 1, packets }).send(delivery)
    expect(receipt.detail).toMatch(/^nothing sent to alerts\.z: Avro packets carry no test mark/)
    expect(bus.published).toEqual([])
  })

  it('fails for good, naming the setting, when the process has no packet source (no schema registry)', async () => {
    const channel = new KafkaTopicChannel(recordingBus(), { partitions: 1 })
    await expect(channel.send(sampleDelivery('avro:alerts.x', 'd-3', [1]))).rejects.toMatchObject({
      code: 'IMGPIPE_DELIVERY_FAILED',
      canRetry: false,
      message: expect.stringContaining('IMGPIPE_SCHEMA_REGISTRY_URL'),
    })
  })

  it('leaves a plain topic target to JSON messages, as before', async () => {
    const bus = recordingBus()
    await new KafkaTopicChannel(bus, { partitions: 1, packets }).send(sampleDelivery('alerts.json', 'd-4', [1]))
    const [message] = bus.published[0]!.messages
    expect(typeof message!.value).toBe('string')
    expect(JSON.parse(message!.value as string)).toMatchObject({ deliveryId: 'd-4', alerts: [{ alertNum: 1 }] })
  })

  it('the in-process bus refuses byte values: it has no reader outside the process', async () => {
    const bus = new MemoryBus()
    try {
      await expect(bus.publish('t', [{ key: 'k', value: Buffer.from([0, 1]) }])).rejects.toMatchObject({ code: 'IMGPIPE_MESSAGE_INVALID' })
    } finally {
      await bus.close()
    }
  })
})

const brokers = kafkaTestBrokers()

describe.runIf(brokers !== null)('KafkaTopicChannel, avro: targets on a real broker', () => {
  it(
    'gets an image of 200 detections (200 packets of 61 KB, 12 MB) onto one partition in one delivery, in order',
    { timeout: 120_000 },
    async () => {
      const opened = await kafkaBackend(brokers!).open()
      try {
        const topic = opened.topic('avro-big-image')
        const many: AlertPacketSource = {
          packetsOf: async () =>
            Array.from({ length: 200 }, (_, i) => {
              const value = Buffer.alloc(61_000, i % 251)
              value.writeUInt32BE(i, 5)
              return { key: String(i).padStart(3, '0'), value }
            }),
        }
        const receipt = await new KafkaTopicChannel(opened.bus, { partitions: 1, packets: many }).send(
          sampleDelivery(`avro:${topic}`, 'big', [1]),
        )
        expect(receipt.detail).toBe(`200 Avro packet(s) on ${topic}`)
        const { stdout } = await promisify(execFile)(
          'kcat',
          ['-C', '-b', brokers!.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k %S\n'],
          { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
        )
        const lines = stdout.trim().split('\n')
        expect(lines).toHaveLength(200)
        expect(lines.map((line) => line.split(' ')[0])).toEqual(Array.from({ length: 200 }, (_, i) => String(i).padStart(3, '0')))
        expect(new Set(lines.map((line) => line.split(' ')[1]))).toEqual(new Set(['61000']))
      } finally {
        await opened.cleanup()
      }
    },
  )
})
