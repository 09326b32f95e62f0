import { describe, expect, it } from 'vitest'
import { AlertCodec } from '../../src/alerts/avro/alert-codec.js'
import type { AlertPacket } from '../../src/alerts/avro/alert-packet.js'
import { AvroAlertPacketSource } from '../../src/alerts/avro/avro-alert-packet-source.js'
import { unframeConfluent } from '../../src/alerts/avro/confluent-wire.js'
import { EPOCHS, recordSky, STAR } from './alert-stream-fixtures.js'

/** A registry that hands out one id per subject and remembers who asked. */
function fakeRegistry(): { register(subject: string, schema: string): Promise<number>; subjects: string[] } {
  const subjects: string[] = []
  return {
    subjects,
    async register(subject) {
      if (!subjects.includes(subject)) subjects.push(subject)
      return 40 + subjects.indexOf(subject)
    },
  }
}

describe('AvroAlertPacketSource', () => {
  it('makes one framed packet per detection with the object, its earlier detections oldest first and the stored stamps', async () => {
    const sky = await recordSky()
    const codec = await AlertCodec.load()
    const registry = fakeRegistry()
    const source = new AvroAlertPacketSource({ objects: sky.objects, derivatives: sky.derivatives, store: sky.store, registry, codec })
    const last = sky.alerts[EPOCHS - 1]!
    const packets = await source.packetsOf(last, 'alerts.avro-a')
    expect(packets).toHaveLength(2)
    expect(registry.subjects).toEqual(['alerts.avro-a-value'])

    const detections = (await sky.objects.detectionsOfEvents([last.imageEventId])).get(last.imageEventId) ?? []
    const decoded = packets.map((packet) => {
      const { schemaId, body } = unframeConfluent(packet.value)
      expect(schemaId).toBe(40)
      return codec.decode(body)
    })
    const [star, newcomer] = decoded as [AlertPacket, AlertPacket]
    expect(packets.map((packet) => packet.key)).toEqual(detections.map((d) => String(d.objectId)))
    expect(star.alertId).toBe(BigInt(detections[0]!.sourceId))
    expect(star.imageId).toBe(BigInt(last.imageId))
    expect(star.eventId).toBe(BigInt(last.imageEventId))
    expect(star.stream).toBe('alerts.avro-a')
    expect(star.diaSource).toMatchObject({
      diaSourceId: BigInt(detections[0]!.sourceId),
      diaObjectId: BigInt(detections[0]!.objectId),
      imageId: BigInt(last.imageId),
      midpointMjdTai: 61_003.25,
      ra: STAR.ra + 3e-5,
      dec: STAR.dec - 3e-5,
      psfFlux: 1750,
      psfFluxErr: 23,
      apFlux: 993,
      snr: 47,
      realBogus: Math.fround(0.9),
      isNegative: false,
      eventType: 'brightening',
      band: 'r',
    })
    // The star's three earlier detections, oldest first; the fading one negative.
    const history = await sky.objects.history(detections[0]!.objectId)
    expect(star.prvDiaSources?.map((prv) => prv.diaSourceId)).toEqual(history.slice(0, 3).map((h) => BigInt(h.sourceId)))
    expect(star.prvDiaSources?.map((prv) => prv.midpointMjdTai)).toEqual([61_000.25, 61_001.25, 61_002.25])
    expect(star.prvDiaSources?.map((prv) => prv.isNegative)).toEqual([false, false, true])
    expect(star.diaObject).toMatchObject({ diaObjectId: BigInt(detections[0]!.objectId), nDiaSources: 4 })
    expect(star.diaObject?.fluxStats['g']?.psfFluxNdata).toBe(2)
    expect(star.diaObject?.fluxStats['r']?.psfFluxNdata).toBe(2)
    // Inverse-variance weighted mean of the g detections (1000 ± 20, -800 ± 22), as float32.
    const w = [1 / 20 ** 2, 1 / 22 ** 2]
    expect(star.diaObject?.fluxStats['g']?.psfFluxMean).toBeCloseTo((1000 * w[0]! - 800 * w[1]!) / (w[0]! + w[1]!), 2)
    expect(star.cutoutScience?.equals(sky.stamp(detections[0]!.sourceId, 'science'))).toBe(true)
    expect(star.cutoutTemplate?.equals(sky.stamp(detections[0]!.sourceId, 'reference'))).toBe(true)
    expect(star.cutoutDifference?.equals(sky.stamp(detections[0]!.sourceId, 'difference'))).toBe(true)

    // The new object: no history, its own stamps (not the star's).
    expect(newcomer.prvDiaSources).toBeNull()
    expect(newcomer.diaObject?.nDiaSources).toBe(1)
    expect(newcomer.diaSource.eventType).toBe('new_source')
    expect(newcomer.cutoutScience?.equals(sky.stamp(detections[1]!.sourceId, 'science'))).toBe(true)
    expect(newcomer.cutoutScience?.equals(star.cutoutScience!)).toBe(false)
  })

  it('sends only the latest N earlier detections, none before the first, and nothing for an event without detections', async () => {
    const sky = await recordSky()
    const codec = await AlertCodec.load()
    const source = new AvroAlertPacketSource({
      objects: sky.objects,
      derivatives: sky.derivatives,
      store: sky.store,
      registry: fakeRegistry(),
      codec,
      previousDetections: 2,
    })
    const decode = async (index: number): Promise<AlertPacket[]> =>
      (await source.packetsOf(sky.alerts[index]!, 't')).map((packet) => codec.decode(unframeConfluent(packet.value).body))
    const [first] = await decode(0)
    expect(first!.prvDiaSources).toBeNull()
    const [latest] = await decode(EPOCHS - 1)
    expect(latest!.prvDiaSources?.map((prv) => prv.midpointMjdTai)).toEqual([61_001.25, 61_002.25])
    // Re-sending an old alert later keeps its own past: the detections after it are not its history.
    const [second] = await decode(1)
    expect(second!.prvDiaSources?.map((prv) => prv.midpointMjdTai)).toEqual([61_000.25])
    expect(await source.packetsOf(sky.pixelDiffAlert, 't')).toEqual([])
  })

  it('leaves the cutouts null without a derivative source', async () => {
    const sky = await recordSky()
    const codec = await AlertCodec.load()
    const source = new AvroAlertPacketSource({ objects: sky.objects, store: sky.store, registry: fakeRegistry(), codec })
    const [packet] = await source.packetsOf(sky.alerts[0]!, 't')
    const decoded = codec.decode(unframeConfluent(packet!.value).body)
    expect([decoded.cutoutScience, decoded.cutoutTemplate, decoded.cutoutDifference]).toEqual([null, null, null])
    expect(decoded.diaSource.psfFlux).toBe(1000)
  })
})
