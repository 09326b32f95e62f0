import { randomBytes } from 'node:crypto'
import { compatibilityPartitioner } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { kafkaPartition, murmur2 } from '../../../src/adapters/memory/murmur2.js'

describe('murmur2 and kafkaPartition', () => {
  it('give the hashes of the Java client (Kafka UtilsTest.testMurmur2)', () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ]
    expect(cases.map(([key]) => murmur2(Buffer.from(key)))).toEqual(cases.map(([, hash]) => hash))
  })

  it('place every key where the Kafka client places it (keys of 0 to 40 bytes, 1 to 12 partitions)', () => {
    for (let index = 0; index < 2000; index += 1) {
      const key = randomBytes(index % 41)
      const partitions = 1 + (index % 12)
      expect(kafkaPartition(key, partitions)).toBe(compatibilityPartitioner({ topic: 't' } as never, key) % partitions)
    }
  })
})
