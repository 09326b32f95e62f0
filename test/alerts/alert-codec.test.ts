import { describe, expect, it } from 'vitest'
import { gunzipSync } from 'node:zlib'
import { AlertCodec, loadAlertSchema } from '../../src/alerts/avro/alert-codec.js'
import { frameConfluent, unframeConfluent } from '../../src/alerts/avro/confluent-wire.js'
import { isImgpipeError } from '../../src/core/errors.js'
import { BIG_ID, MAX_LONG, diaSource, fitsStamp, samplePacket } from './alert-fixtures.js'

describe('Avro alert codec', () => {
  it('round-trips a packet with 64-bit ids above 2^53 and three 16 KB FITS stamps exactly', async () => {
    const codec = await AlertCodec.load('1.0')
    const packet = samplePacket(4)
    expect(packet.cutoutScience!.length).toBeGreaterThanOrEqual(16 * 1024)
    const body = codec.encode(packet)
    expect(body.length).toBeGreaterThan(3 * 16 * 1024)
    const decoded = codec.decode(body)
    expect(decoded).toEqual(packet)
    expect(decoded.alertId).toBe(MAX_LONG)
    expect(decoded.diaSource.diaSourceId).toBe(BIG_ID + 8n)
    expect(decoded.prvDiaSources!.map((source) => source.diaSourceId)).toEqual([BIG_ID, BIG_ID + 2n, BIG_ID + 4n, BIG_ID + 6n])
    expect(decoded.eventId).toBe(-(2n ** 62n) - 3n)
    expect(Buffer.compare(decoded.cutoutDifference!, fitsStamp(3))).toBe(0)
  })

  it('keeps optional parts null and a gzipped stamp byte-for-byte', async () => {
    const codec = await AlertCodec.load('1.0')
    const packet = { ...samplePacket(0, { gzipTemplate: true }), diaObject: null, cutoutScience: null }
    const decoded = codec.decode(codec.encode(packet))
    expect(decoded.prvDiaSources).toBeNull()
    expect(decoded.diaObject).toBeNull()
    expect(decoded.cutoutScience).toBeNull()
    expect(gunzipSync(decoded.cutoutTemplate!).equals(fitsStamp(2))).toBe(true)
  })

  it('refuses a number where a long id belongs, naming the field', async () => {
    const codec = await AlertCodec.load('1.0')
    const packet = { ...samplePacket(1), alertId: 5 as unknown as bigint }
    let caught: unknown
    try {
      codec.encode(packet)
    } catch (error) {
      caught = error
    }
    expect(isImgpipeError(caught, 'IMGPIPE_MESSAGE_INVALID')).toBe(true)
    expect((caught as Error).message).toContain('alertId')
  })

  it('lets a 1.0 reader read a 1.1 packet and a 1.1 reader read a 1.0 packet (defaults for the new fields)', async () => {
    const v10 = await AlertCodec.load('1.0')
    const v11 = await AlertCodec.load('1.1')
    const packet = samplePacket(2)
    const newer = {
      ...packet,
      diaSource: { ...packet.diaSource, trailLength: Math.fround(12.5) },
      prvDiaSources: [
        { ...diaSource(0), trailLength: null },
        { ...diaSource(1), trailLength: Math.fround(3.25) },
      ],
      brokerNote: 'evolution test',
    }
    const fromNewer = v10.decodeFrom(v11.encode(newer as never), v11.schema)
    expect(fromNewer).toEqual(packet)
    expect('brokerNote' in fromNewer).toBe(false)

    const fromOlder = v11.decodeFrom(v10.encode(packet), await loadAlertSchema('1.0')) as unknown as Record<string, unknown>
    expect(fromOlder['brokerNote']).toBeNull()
    expect((fromOlder['diaSource'] as Record<string, unknown>)['trailLength']).toBeNull()
    expect(fromOlder['alertId']).toBe(MAX_LONG)
  })
})

describe('Confluent wire format', () => {
  it('puts magic 0 and the big-endian schema id before the body, and splits them again', () => {
    const framed = frameConfluent(0x01020304, Buffer.from([7, 8, 9]))
    expect([...framed]).toEqual([0, 1, 2, 3, 4, 7, 8, 9])
    const frame = unframeConfluent(framed)
    expect(frame.schemaId).toBe(0x01020304)
    expect([...frame.body]).toEqual([7, 8, 9])
    expect(unframeConfluent(frameConfluent(0xffffffff, Buffer.alloc(0))).schemaId).toBe(0xffffffff)
  })

  it('rejects a wrong magic byte, a short buffer and an id that does not fit 4 bytes', () => {
    expect(() => unframeConfluent(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(/magic byte is 0x01, expected 0x00/)
    expect(() => unframeConfluent(Buffer.from([0, 0, 0]))).toThrow(/too short: 3 bytes/)
    expect(() => frameConfluent(2 ** 32, Buffer.alloc(1))).toThrow(/does not fit/)
    let caught: unknown
    try {
      unframeConfluent(Buffer.from('{"json":true}'))
    } catch (error) {
      caught = error
    }
    expect(isImgpipeError(caught, 'IMGPIPE_MESSAGE_INVALID')).toBe(true)
    expect((caught as { canRetry: boolean }).canRetry).toBe(false)
  })
})

describe('framed encoding', () => {
  it('writes the same bytes as framing the body, also for a packet larger than a whole slab', async () => {
    const codec = await AlertCodec.load('1.0')
    const small = samplePacket(1)
    expect(codec.encodeFramed(42, small).equals(frameConfluent(42, codec.encode(small)))).toBe(true)
    // 3 × 400 KB stamps: more than the 1 MB slab the packets are carved from.
    const stamp = (fill: number) => Buffer.alloc(400_000, fill)
    const framed = codec.encodeFramed(7, { ...small, cutoutScience: stamp(1), cutoutTemplate: stamp(2), cutoutDifference: stamp(3) })
    expect(framed.length).toBeGreaterThan(1_200_000)
    const { schemaId, body } = unframeConfluent(framed)
    expect(schemaId).toBe(7)
    const decoded = codec.decode(body)
    expect(decoded.cutoutScience!.equals(stamp(1))).toBe(true)
    expect(decoded.cutoutDifference!.equals(stamp(3))).toBe(true)
  })

  it('never lets a later packet overwrite the bytes of an earlier one', async () => {
    const codec = await AlertCodec.load('1.0')
    const packets = Array.from({ length: 40 }, (_, n) => ({ ...samplePacket(n % 4), alertId: BigInt(n) }))
    const framed = packets.map((packet, n) => codec.encodeFramed(n, packet))
    const expected = packets.map((packet, n) => frameConfluent(n, codec.encode(packet)))
    framed.forEach((bytes, n) => expect(bytes.equals(expected[n]!), `packet ${n}`).toBe(true))
    expect(codec.decode(unframeConfluent(framed[0]!).body).alertId).toBe(0n)
  })
})
