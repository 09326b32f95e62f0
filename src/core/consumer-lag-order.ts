import type { PartitionLag } from './ports/bus.js'

/** The order `Bus.consumerLag` promises: group, topic, partition. */
export function sortLag(rows: PartitionLag[]): PartitionLag[] {
  return rows.sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic) || a.partition - b.partition)
}
