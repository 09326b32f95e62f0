/**
 * The Avro packets of an alert, as the community brokers read them: one per detection of the alert's event (Rubin
 * sends an alert per DIASource), each with the object's earlier detections, the object and the detection's three
 * FITS stamps, framed with the schema id the registry gave the topic's subject. The kafka-topic channel gets this
 * through the AlertPacketSource port (src/core/ports/alert-packet-source.ts): it cannot import codec or ledgers.
 */
import type { AlertPacketSource, EncodedAlertPacket } from '../../core/ports/alert-packet-source.js'
import type { AlertItem } from '../../core/ports/delivery-channel.js'
import type { DiaObjectRecord, DiaSourceRecord, ObjectLedger } from '../../core/ports/object-ledger.js'
import type { ObjectStore } from '../../core/ports/object-store.js'
import type { DerivativeRecord, ScienceLedger } from '../../core/ports/science-ledger.js'
import type { AlertCodec } from './alert-codec.js'
import type { AlertPacket, BandFluxStats, DiaObject, DiaSource } from './alert-packet.js'
import type { SchemaRegistryClient } from './schema-registry-client.js'

/**
 * Earlier detections sent with each packet by default: ZTF sends 30 days of history, Rubin 12 months; 30 keeps a
 * packet near ZTF's ~60 KB (a detection is ~100 bytes, the stamps ~60 KB) even for a star seen every night.
 */
export const DEFAULT_PREVIOUS_DETECTIONS = 30

/** Packets made at once: above bench:alerts' 10 detections per image (all made together there), and a bound for hundreds. */
const PACKETS_AT_ONCE = 16

/** The stamp derivative names of issue 18 (`stamp-<i>-science.fits`, …), by the packet field each fills. */
const STAMP_SUFFIXES = { cutoutScience: '-science.fits', cutoutTemplate: '-reference.fits', cutoutDifference: '-difference.fits' } as const

export interface AvroAlertPacketSourceOptions {
  /** The detections, their objects and histories. */
  objects: Pick<ObjectLedger, 'detectionsOfEvents' | 'history' | 'objects'>
  /** The events' stamps (derivative rows naming a sourceId); without it packets carry no cutouts. */
  derivatives?: Pick<ScienceLedger, 'listDerivatives'>
  /** Where the stamps' FITS bytes are. */
  store: Pick<ObjectStore, 'get'>
  registry: Pick<SchemaRegistryClient, 'register'>
  codec: AlertCodec
  /** Most earlier detections per packet (default DEFAULT_PREVIOUS_DETECTIONS); the latest ones are kept. */
  previousDetections?: number
}

export class AvroAlertPacketSource implements AlertPacketSource {
  readonly #previous: number

  constructor(private readonly options: AvroAlertPacketSourceOptions) {
    this.#previous = Math.max(0, options.previousDetections ?? DEFAULT_PREVIOUS_DETECTIONS)
  }

  async packetsOf(alert: AlertItem, topic: string): Promise<EncodedAlertPacket[]> {
    const detections = (await this.options.objects.detectionsOfEvents([alert.imageEventId])).get(alert.imageEventId) ?? []
    if (detections.length === 0) return []
    // Confluent's TopicNameStrategy: the value schema of topic T is subject `T-value` (what brokers' deserializers look up).
    const [schemaId, stamps, objects] = await Promise.all([
      this.options.registry.register(`${topic}-value`, this.options.codec.schemaText),
      this.options.derivatives?.listDerivatives(alert.imageEventId) ?? Promise.resolve([]),
      this.options.objects.objects([...new Set(detections.map((detection) => detection.objectId))]),
    ])
    // A few together: each packet waits on its own reads (ledger, three stamps), which overlap (300 → 1,300 packets/s
    // in bench:alerts); a few, so that an image with hundreds of detections does not start all its reads at once.
    const packets: EncodedAlertPacket[] = []
    for (let start = 0; start < detections.length; start += PACKETS_AT_ONCE) {
      const made = await Promise.all(
        detections.slice(start, start + PACKETS_AT_ONCE).map(async (detection) => {
          const packet = await this.#packet(alert, topic, detection, stamps, objects.get(detection.objectId) ?? null)
          return { key: String(detection.objectId), value: this.options.codec.encodeFramed(schemaId, packet) }
        }),
      )
      packets.push(...made)
    }
    return packets
  }

  async #packet(
    alert: AlertItem,
    topic: string,
    detection: DiaSourceRecord,
    stamps: readonly DerivativeRecord[],
    object: DiaObjectRecord | null,
  ): Promise<AlertPacket> {
    const [history, cutouts] = await Promise.all([
      this.#previous === 0 ? Promise.resolve([]) : this.options.objects.history(detection.objectId),
      this.#cutouts(detection.sourceId, stamps),
    ])
    const earlier = history.filter((other) => isBefore(other, detection))
    const sent = earlier.slice(Math.max(0, earlier.length - this.#previous))
    return {
      // Rubin's alertId is its diaSourceId: one alert per detection, the same id on every topic and every retry.
      alertId: BigInt(detection.sourceId),
      imageId: BigInt(alert.imageId),
      eventId: BigInt(alert.imageEventId),
      stream: topic,
      diaSource: diaSourceOf(detection, alert.imageId),
      prvDiaSources: sent.length === 0 ? null : sent.map((other) => diaSourceOf(other, alert.imageId)),
      diaObject: object === null ? null : diaObjectOf(object),
      ...cutouts,
    }
  }

  async #cutouts(sourceId: number, stamps: readonly DerivativeRecord[]): Promise<Pick<AlertPacket, keyof typeof STAMP_SUFFIXES>> {
    const mine = stamps.filter((stamp) => stamp.sourceId === sourceId)
    const read = async (suffix: string): Promise<Buffer | null> => {
      const stamp = mine.find((candidate) => candidate.name.endsWith(suffix))
      return stamp === undefined ? null : this.options.store.get(stamp.objectKey)
    }
    const [cutoutScience, cutoutTemplate, cutoutDifference] = await Promise.all([
      read(STAMP_SUFFIXES.cutoutScience),
      read(STAMP_SUFFIXES.cutoutTemplate),
      read(STAMP_SUFFIXES.cutoutDifference),
    ])
    return { cutoutScience, cutoutTemplate, cutoutDifference }
  }
}

/** History order (ObjectLedger.history): by MJD, then id. */
function isBefore(a: DiaSourceRecord, b: DiaSourceRecord): boolean {
  return a.mjd < b.mjd || (a.mjd === b.mjd && a.sourceId < b.sourceId)
}

/** A recorded detection as the packet's diaSource. `imageId` null (detections recorded without images) → the alert's. */
function diaSourceOf(source: DiaSourceRecord, fallbackImageId: number): DiaSource {
  return {
    diaSourceId: BigInt(source.sourceId),
    diaObjectId: BigInt(source.objectId),
    imageId: BigInt(source.imageId ?? fallbackImageId),
    midpointMjdTai: source.mjd,
    ra: source.ra,
    raErr: null,
    dec: source.dec,
    decErr: null,
    x: source.x,
    y: source.y,
    psfFlux: source.psfFlux,
    psfFluxErr: source.psfFluxErr,
    apFlux: source.apFlux ?? null,
    apFluxErr: source.apFluxErr ?? null,
    snr: source.snr,
    fwhm: source.fwhm ?? null,
    elongation: source.elongation ?? null,
    realBogus: source.realBogus,
    isNegative: source.psfFlux < 0,
    eventType: source.kind,
    band: source.filter,
  }
}

/**
 * An object as the packet's diaObject. The mean flux per band is inverse-variance weighted when the detections
 * have errors (Rubin's psfFluxMean), plain otherwise; the ledger keeps no sum of squares, so no sigma.
 */
function diaObjectOf(object: DiaObjectRecord): DiaObject {
  const fluxStats: Record<string, BandFluxStats> = {}
  for (const [band, sums] of Object.entries(object.fluxes)) {
    const weighted = sums.sumWeight > 0
    fluxStats[band] = {
      psfFluxMean: weighted ? sums.sumWeightedFlux / sums.sumWeight : sums.sum / Math.max(1, sums.n),
      psfFluxMeanErr: weighted ? 1 / Math.sqrt(sums.sumWeight) : null,
      psfFluxSigma: null,
      psfFluxNdata: sums.n,
    }
  }
  return {
    diaObjectId: BigInt(object.objectId),
    ra: object.ra,
    raErr: null,
    dec: object.dec,
    decErr: null,
    nDiaSources: object.nDetections,
    firstDiaSourceMjdTai: object.firstMjd,
    lastDiaSourceMjdTai: object.lastMjd,
    fluxStats,
  }
}
