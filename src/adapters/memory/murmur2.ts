/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`), which its default partitioner applies to a message key.
 * Ours rather than @platformatic/kafka's, so that the in-process bus does not load the whole Kafka client (a
 * third of a second of start-up, more on a busy machine) for one function; a test checks both agree.
 */
const SEED = 0x9747b28c
const M = 0x5bd1e995

export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const whole = length - (length % 4)
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const rest = length % 4
  if (rest > 0) {
    if (rest === 3) h ^= data[whole + 2]! << 16
    if (rest >= 2) h ^= data[whole + 1]! << 8
    h ^= data[whole]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** Kafka's partition of a keyed message: the key's murmur2 as a positive 31-bit number, modulo the count. */
export function kafkaPartition(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions
}
