import type { AlertView, ImageEventRecord, ImageRecord, ImageStatus, PipelineCounts } from '../types.js'

/** One image of a stream, as the viewer's stream page charts it. */
export interface StreamPoint {
  imageId: number
  imageNum: number | null
  status: ImageStatus
  changedFraction: number | null
  l2Norm: number | null
  receivedAt: Date
  /** The alert number when the image's event was alerted, else null. */
  alertNumber: number | null
  /** Why a failed image failed (its stable code and one-line message); null otherwise. */
  errorCode: string | null
  errorMessage: string | null
}

/** Which streams {@link CatalogReports.listStreamSummaries} lists: a page by name, optionally filtered. */
export interface StreamListOptions {
  limit: number
  /** Only streams whose name sorts after this one (the next page). */
  afterStream?: string
  /** Only streams whose name starts with this text. */
  prefix?: string
  /** Count only images received at or after this moment, and before `until`; streams with none are left out. */
  since?: Date
  until?: Date
  /** How many of each stream's newest images to return in `recent` (for a sparkline); 0 for none. */
  recentImages: number
}

/** One stream in the viewer's index: its counts (within the time range asked) and its newest images. */
export interface StreamSummary {
  stream: string
  images: number
  failed: number
  events: number
  alerts: number
  lastImageNum: number | null
  lastReceivedAt: Date | null
  /** The stream's newest images by number, ascending, whether or not they fall in the time range. */
  recent: { imageNum: number; failed: boolean; event: boolean }[]
}

/** Which alerts {@link CatalogReports.listAlertViews} lists besides the page bounds. */
export interface AlertListFilter {
  /** Only alerts of this stream. */
  stream?: string
  /** Only alerts created at or after this moment, and before `until`. */
  since?: Date
  until?: Date
}

export interface StreamActivity {
  stream: string
  /** The newest images of the stream (up to the limit asked), ascending by image number. */
  points: StreamPoint[]
  /** Receive times of the stream's images, and creation times of its alerts, since the moment asked (newest first, bounded). */
  imageTimes: Date[]
  alertTimes: Date[]
}

/**
 * The read-only views of the catalog for people: the web viewer, the terminal viewer, `imgpipe status`, and the
 * delivery worker's alert text. Nothing here writes; every listing is bounded by a limit.
 */
export interface CatalogReports {
  getImage(imageId: number): Promise<ImageRecord | null>
  getEvent(imageEventId: number): Promise<ImageEventRecord | null>
  getAlertView(imageEventAlertId: number): Promise<AlertView | null>
  /** Newest first; `beforeId` pages backwards; the filter keeps one stream's or one time range's. */
  listAlertViews(options: { limit: number; beforeId?: number } & AlertListFilter): Promise<AlertView[]>
  /** Streams by name with their counts and newest images: two statements whatever the number of streams. */
  listStreamSummaries(options: StreamListOptions): Promise<StreamSummary[]>
  /** One stream's newest images with metrics and alerts, and its receive and alert times since `since`. */
  streamActivity(stream: string, options: { limit: number; since: Date }): Promise<StreamActivity>
  /** Counts over all streams, or over the given ones. */
  counts(streams?: readonly string[]): Promise<PipelineCounts>
  /** Failed images, oldest first. */
  listFailedImages(limit: number): Promise<ImageRecord[]>
}
