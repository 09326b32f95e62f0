import { sortLag } from '../../core/consumer-lag-order.js'
import type { ConsumerOf, PartitionLag } from '../../core/ports/bus.js'

/**
 * Consumer lag from the in-process bus's state: `endOffsets(topic)` lists each partition's length (undefined:
 * no such topic), `committed(topic, group)` each partition's next offset (undefined: the group never joined,
 * so it has committed nothing and the whole log is its lag; the in-process log always starts at 0).
 */
export function lagOf(
  consumers: readonly ConsumerOf[],
  endOffsets: (topic: string) => readonly number[] | undefined,
  committed: (topic: string, group: string) => readonly number[] | undefined,
): PartitionLag[] {
  const rows: PartitionLag[] = []
  for (const { group, topic } of consumers) {
    const ends = endOffsets(topic)
    if (ends === undefined) continue
    const offsets = committed(topic, group)
    ends.forEach((end, partition) => {
      const offset = offsets?.[partition]
      const committedOffset = offset === undefined ? null : BigInt(offset)
      rows.push({ group, topic, partition, committedOffset, endOffset: BigInt(end), lag: BigInt(end) - (committedOffset ?? 0n) })
    })
  }
  return sortLag(rows)
}
