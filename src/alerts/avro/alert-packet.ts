/**
 * The Avro alert packet as TypeScript sees it (schema `schemas/avro/1.x/imgpipe.alert.v1.alert.avsc`). Every Avro
 * `long` is a `bigint`: ids are 64-bit and a `number` loses them above 2^53. Optional fields are `null` when absent,
 * as Avro's `["null", T]` unions decode.
 */

/** One detection on a difference image (Rubin: diaSource; ZTF: candidate). */
export interface DiaSource {
  diaSourceId: bigint
  diaObjectId: bigint | null
  /** imgpipe catalog id of the image the detection was measured on. */
  imageId: bigint
  /** Mid-exposure, MJD in TAI. */
  midpointMjdTai: number
  ra: number
  raErr: number | null
  dec: number
  decErr: number | null
  x: number
  y: number
  psfFlux: number
  psfFluxErr: number
  apFlux: number | null
  apFluxErr: number | null
  snr: number
  fwhm: number | null
  elongation: number | null
  realBogus: number | null
  isNegative: boolean
  eventType: string
  band: string
}

export interface BandFluxStats {
  psfFluxMean: number
  psfFluxMeanErr: number | null
  psfFluxSigma: number | null
  psfFluxNdata: number
}

/** The object a detection is associated with (Rubin: diaObject). */
export interface DiaObject {
  diaObjectId: bigint
  ra: number
  raErr: number | null
  dec: number
  decErr: number | null
  nDiaSources: number
  firstDiaSourceMjdTai: number
  lastDiaSourceMjdTai: number
  /** Keyed by band. */
  fluxStats: Record<string, BandFluxStats>
}

/** Schema 1.0's packet. Readers of a later 1.x schema see its added fields too (with their defaults). */
export interface AlertPacket {
  alertId: bigint
  imageId: bigint
  eventId: bigint
  stream: string
  diaSource: DiaSource
  /** Earlier detections of the object, oldest first; null when none are sent. */
  prvDiaSources: DiaSource[] | null
  diaObject: DiaObject | null
  /** FITS stamps, optionally gzipped. */
  cutoutScience: Buffer | null
  cutoutTemplate: Buffer | null
  cutoutDifference: Buffer | null
}
