import avro from 'avsc'
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { avroType } from '../../src/alerts/avro/alert-codec.js'

const long = avroType('long')
const hex = (value: bigint) => long.toBuffer(value).toString('hex')

describe('bigint Avro long', () => {
  it('writes the zig-zag varints of the Avro specification, up to both 64-bit limits', () => {
    expect(hex(0n)).toBe('00')
    expect(hex(-1n)).toBe('01')
    expect(hex(1n)).toBe('02')
    expect(hex(-64n)).toBe('7f')
    expect(hex(64n)).toBe('8001')
    expect(hex(2n ** 63n - 1n)).toBe('feffffffffffffffff01')
    expect(hex(-(2n ** 63n))).toBe('ffffffffffffffffff01')
    // 2^53 + 1 zig-zags to 2^54 + 2: 0x02 with the continuation bit, six empty groups, then bit 54 (0x20).
    expect(hex(2n ** 53n + 1n)).toBe('82' + '80'.repeat(6) + '20')
  })

  it("agrees with avsc's number long where both work, round-trips random 64-bit values, refuses numbers", () => {
    const plain = avro.Type.forSchema('long')
    const samples = [0, 1, -1, 127, 128, -129, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 35 + 3, -(2 ** 40), 2 ** 52 + 7]
    for (const n of samples) {
      expect(hex(BigInt(n)), String(n)).toBe(plain.toBuffer(n).toString('hex'))
      expect(long.fromBuffer(plain.toBuffer(n))).toBe(BigInt(n))
    }
    for (let i = 0; i < 2000; i++) {
      const value = randomBytes(8).readBigInt64LE(0) >> BigInt(i % 64)
      expect(long.fromBuffer(long.toBuffer(value))).toBe(value)
    }
    expect(() => long.toBuffer(5)).toThrow(/invalid "long"/)
    // avsc's message builder cannot JSON.stringify a bigint: it throws, just with another message.
    expect(() => long.toBuffer(2n ** 63n)).toThrow()
    expect(long.isValid(2n ** 63n)).toBe(false)
  })
})
