/**
 * Consumer lag on Kafka, as `kafka-consumer-groups.sh --describe` computes it: per partition, the group's
 * committed offset (OffsetFetch), the end offset (ListOffsets, latest) and their difference. A partition the
 * group never committed counts from the log start offset (ListOffsets, earliest), where a new member of a group
 * starts reading.
 *
 * Client calls used (@platformatic/kafka 1.x): admin.listTopics(), admin.metadata({ topics, autocreateTopics: false }),
 * admin.listOffsets({ topics: [{ name, partitions: [{ partitionIndex, timestamp: -1n | -2n }] }] }),
 * admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name, partitionIndexes }] }] })
 */
import type { Admin } from '@platformatic/kafka'
import type { ConsumerOf, PartitionLag } from '../../core/ports/bus.js'
import { sortLag } from '../../core/consumer-lag-order.js'

/** ListOffsets' special timestamps. */
const LATEST = -1n
const EARLIEST = -2n

export async function kafkaConsumerLag(admin: Admin, consumers: readonly ConsumerOf[]): Promise<PartitionLag[]> {
  const existing = new Set(await admin.listTopics())
  const wanted = consumers.filter((consumer) => existing.has(consumer.topic))
  const topics = [...new Set(wanted.map((consumer) => consumer.topic))]
  if (topics.length === 0) return []
  const metadata = await admin.metadata({ topics, autocreateTopics: false, forceUpdate: true })
  const partitionsOf = new Map(
    topics.map((topic) => [topic, [...(metadata.topics.get(topic)?.partitions.keys() ?? [])].sort((a, b) => a - b)]),
  )
  const request = (timestamp: bigint) =>
    admin.listOffsets({
      topics: topics.map((name) => ({
        name,
        partitions: partitionsOf.get(name)!.map((partitionIndex) => ({ partitionIndex, timestamp })),
      })),
    })
  const [latest, earliest, committed] = await Promise.all([
    request(LATEST),
    request(EARLIEST),
    admin.listConsumerGroupOffsets({
      groups: groupRequests(wanted, partitionsOf),
    }),
  ])
  const offsetsOf = (listed: Awaited<ReturnType<typeof request>>): Map<string, bigint> =>
    new Map(
      listed.flatMap((topic) => topic.partitions.map((partition) => [`${topic.name}\0${partition.partitionIndex}`, partition.offset])),
    )
  const ends = offsetsOf(latest)
  const starts = offsetsOf(earliest)
  const commits = new Map<string, bigint>()
  for (const group of committed) {
    for (const topic of group.topics) {
      for (const partition of topic.partitions) {
        // -1: nothing committed on this partition.
        if (partition.committedOffset >= 0n)
          commits.set(`${group.groupId}\0${topic.name}\0${partition.partitionIndex}`, partition.committedOffset)
      }
    }
  }
  const rows: PartitionLag[] = []
  for (const { group, topic } of wanted) {
    for (const partition of partitionsOf.get(topic) ?? []) {
      const endOffset = ends.get(`${topic}\0${partition}`) ?? 0n
      const committedOffset = commits.get(`${group}\0${topic}\0${partition}`) ?? null
      const from = committedOffset ?? starts.get(`${topic}\0${partition}`) ?? 0n
      rows.push({ group, topic, partition, committedOffset, endOffset, lag: endOffset > from ? endOffset - from : 0n })
    }
  }
  return sortLag(rows)
}

function groupRequests(consumers: readonly ConsumerOf[], partitionsOf: Map<string, number[]>) {
  const byGroup = new Map<string, { name: string; partitionIndexes: number[] }[]>()
  for (const { group, topic } of consumers) {
    const topics = byGroup.get(group) ?? []
    if (!topics.some((entry) => entry.name === topic)) topics.push({ name: topic, partitionIndexes: partitionsOf.get(topic) ?? [] })
    byGroup.set(group, topics)
  }
  return [...byGroup].map(([groupId, topics]) => ({ groupId, topics }))
}
