/**
 * Domain types shared by every stage, adapter and edge.
 *
 * Table and field names follow the original pipeline (`image_metadata`, `image_event`,
 * `image_event_alert`, `image_id`, `image_filename`...), so rows read like the SQL its users already know.
 */

/**
 * Lifecycle of an image in the catalog. `storing`: the row has claimed its number and object key, its bytes
 * are being written (a writer never puts bytes under a name its row does not own). `failed` images are
 * kept (never lost) with the reason.
 */
export type ImageStatus = 'storing' | 'received' | 'analyzed' | 'failed'

/** Why an image event was raised. */
/**
 * The `image_event_type` rows (migration 0006): `changed` and `size_changed` from the pixel comparison, the rest from
 * difference imaging (the event's most significant detection says which).
 */
export type EventType = 'changed' | 'size_changed' | 'new_source' | 'brightening' | 'fading'

/** What the receive stage knows about a new image before it is stored. */
export interface NewImage {
  stream: string
  /** 1-based position of the image in its stream (the original's `image_num`). */
  imageNum: number
  imageFilename: string
  imageObjectKey: string
  /** Null only when the bytes could not be read at all. */
  contentSha256: string | null
  byteSize: number
  width: number | null
  height: number | null
  /** Lower-case format name as sharp reports it: jpeg, png, tiff, webp... */
  format: string | null
  /** Always `storing` when inserted by the receive stage; `finishStoringImages` sets the final status. */
  status: 'storing' | 'received' | 'failed'
  errorCode?: string | null
  errorMessage?: string | null
  /** What a science image's header says; absent or null for 8-bit pictures. */
  observation?: ImageObservation | null
}

/**
 * What a science (FITS) image's header says about the observation: the fields a user filters on, kept as columns
 * of `image` (migration 0005), and the header itself. Computed by `analysis/observation-metadata.ts`.
 */
export interface ImageObservation {
  /** 0-based index of the HDU the pixels were read from (the primary HDU is 0); the analyze stage reads the same. */
  hdu: number
  /** Start of the exposure, MJD (UTC). */
  obsMjd: number | null
  /** The same as ISO 8601 UTC with milliseconds and a Z. */
  obsTime: string | null
  exposureS: number | null
  filter: string | null
  field: string | null
  /** Sky position of the image centre, degrees (ICRS). */
  centerRa: number | null
  centerDec: number | null
  /** Mean arcseconds per pixel at the reference pixel. */
  pixelScaleArcsec: number | null
  /** The corner pixels' sky positions [ra, dec], degrees (astropy's calc_footprint order). */
  footprint: readonly (readonly [number, number])[] | null
  /** That HDU's header, its 80-character cards joined by '\n' (trailing blanks kept, END left out). */
  header: string
}

export interface ImageRecord {
  imageId: number
  imageFilename: string
  imageObjectKey: string
  stream: string
  /** Null only for rows inserted by hand with the original's two columns. */
  imageNum: number | null
  contentSha256: string | null
  byteSize: number | null
  width: number | null
  height: number | null
  format: string | null
  status: ImageStatus
  errorCode: string | null
  errorMessage: string | null
  receivedAt: Date
  analyzedAt: Date | null
  /** The image of the same stream this one was compared with; null for the first image of a stream. */
  previousImageId: number | null
  /** Euclidean (L2) norm of the per-pixel, per-channel difference, as the original computed it. */
  l2Norm: number | null
  /** Fraction (0..1) of pixels whose largest channel difference exceeds the pixel tolerance. */
  changedFraction: number | null
  /** Largest absolute channel difference (0..255). */
  maxAbsDifference: number | null
  /** What a science image's header says (the columns of migration 0005); null for pictures. */
  observation: ImageObservation | null
}

/** Result of analysing one image against its predecessor, written to the image's row. */
export interface AnalysisResult {
  previousImageId: number | null
  l2Norm: number | null
  changedFraction: number | null
  maxAbsDifference: number | null
  analyzedAt: Date
}

export interface NewImageEvent {
  imageId: number
  /** Null while the difference image is being stored: its key is named after the event's own id. */
  differenceImageObjectKey: string | null
  eventType: EventType
  analyzer: string
  analyzerVersion: string
}

export interface ImageEventRecord {
  imageEventId: number
  imageId: number
  /**
   * Null between the event's insert and the upload of its difference image (the original's analysis client
   * writes events that way too). Such an event is not alerted until it has a key.
   */
  differenceImageObjectKey: string | null
  eventType: EventType
  detectedAt: Date
  analyzer: string | null
  analyzerVersion: string | null
}

export interface AlertRecord {
  imageEventAlertId: number
  imageEventId: number
  createdAt: Date
  /** Set once every delivery channel accepted the alert; null while delivery is pending. */
  deliveredAt: Date | null
  /** Comma-separated names of the channels that accepted it. */
  deliveryChannels: string | null
}

/** Everything a viewer needs to show one alert: the event, its image and the previous image of the stream. */
export interface AlertView {
  alert: AlertRecord
  event: ImageEventRecord
  image: ImageRecord
  previousImage: ImageRecord | null
  /** Difference imaging: the event's detections with their stamps' names, when the alert's reader looked them up. */
  detections?: AlertViewDetection[]
}

/** A detection as an alert carries it (dia_source), with the names of its stamps among the event's derivatives. */
export interface AlertViewDetection {
  sourceId: number
  objectId: number
  ra: number
  dec: number
  psfFlux: number
  psfFluxErr: number
  snr: number
  kind: string
  realBogus: number
  /** Derivative names of its science, reference and difference stamps (FITS), when they were made. */
  stamps: { science?: string; reference?: string; difference?: string }
}

export interface PipelineCounts {
  images: number
  imagesReceived: number
  imagesAnalyzed: number
  imagesFailed: number
  events: number
  alerts: number
  alertsUndelivered: number
}
