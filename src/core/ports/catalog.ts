import type {
  AlertRecord,
  AlertView,
  AnalysisResult,
  ImageEventRecord,
  ImageRecord,
  ImageStatus,
  NewImage,
  NewImageEvent,
  PipelineCounts,
} from '../types.js'

/** The original's three tables, in dependency order. */
export const CATALOG_TABLES = ['image_metadata', 'image_event', 'image_event_alert'] as const
export type CatalogTable = (typeof CATALOG_TABLES)[number]

/** Which images `resetForReanalysis` sets back to `received`. */
export interface ReanalysisFilter {
  stream?: string
  /** Only failed images; otherwise analysed ones too. */
  failedOnly: boolean
  /** Only images numbered from this one on. */
  fromImageNum?: number
}

/** One image's analysis to record (see {@link Catalog.recordAnalyses}). */
export interface AnalysisWrite {
  imageId: number
  result: AnalysisResult
  event: NewImageEvent | null
}

/** What {@link Catalog.recordAnalyses} did for one write: its event (new or existing) when it had one. */
export interface AnalysisWriteOutcome {
  event: ImageEventRecord | null
  created: boolean
}

/** One image the receive stage looks for before claiming a number: the same bytes under the same name. */
export interface IngestedLookup {
  stream: string
  contentSha256: string
  imageFilename: string
}

export interface Page {
  limit: number
  /** Return rows with an id strictly greater than this (ascending listings). */
  afterId?: number
}

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

/** Which streams {@link Catalog.listStreamSummaries} lists: a page by name, optionally filtered. */
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

/** Which alerts {@link Catalog.listAlertViews} lists besides the page bounds. */
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
 * The relational catalog: image metadata, image events and alerts.
 *
 * Every write is idempotent on a natural key so that an at-least-once transport yields exactly-once rows:
 * an image on (stream, image_num), an event on image_id, an alert on image_event_id. Re-running a write
 * returns the existing row with `created: false` instead of failing or duplicating.
 *
 * Implementations: SQLite, MySQL/MariaDB and PostgreSQL through one Kysely query module.
 *
 * Leaves out: arbitrary queries, schema customisation, and cross-row transactions other than
 * {@link Catalog.recordAnalyses}; callers never see SQL or connections. Transient failures surface as
 * `CatalogUnavailableError` (canRetry), constraint violations other than the idempotency keys as
 * `CatalogConflictError`.
 */
export interface Catalog {
  /** Human-readable location without credentials, e.g. `sqlite:/abs/data/imgpipe.db`. */
  readonly description: string

  /**
   * Creates or upgrades the schema; never drops data. Safe to call concurrently from several processes.
   * Returns the names of the migrations it applied (none when the schema was up to date).
   */
  migrate(): Promise<string[]>
  /** Cheap round-trip that throws CatalogUnavailableError when the database does not answer. */
  ping(): Promise<void>
  close(): Promise<void>

  // receive
  /**
   * The receive stage's claim of a window of images in one statement: inserts each image whose (stream, imageNum)
   * is free, in the given order, and returns the stored row of every number, in the same order (the new row,
   * or the row another writer or an earlier run put there: the caller tells them apart by its bytes and name).
   * One image is a window of one.
   */
  insertImages(images: readonly NewImage[]): Promise<ImageRecord[]>
  /**
   * Ends the `storing` state of images whose bytes are now in the store, in one statement: status → `status`.
   * No-op for an image that already left `storing` (a concurrent or earlier finish). Returns the stored rows in
   * the given order; NotFoundError when one is missing.
   */
  finishStoringImages(imageIds: readonly number[], status: 'received' | 'failed'): Promise<ImageRecord[]>
  /**
   * Gives a row without a number (written by the original's receiving client) its stream and number.
   * Returns the row; a row that already has a number keeps it.
   */
  assignImageNum(imageId: number, stream: string, imageNum: number): Promise<ImageRecord>
  /** Rows of the stream without a number (the original's receiving client writes them), ascending by id. */
  listUnnumberedImages(stream: string, page: Page): Promise<ImageRecord[]>
  /** 1 + the largest image_num of the stream (1 for a new stream). */
  nextImageNum(stream: string): Promise<number>
  /** An image of the stream with these exact bytes and file name, if one was already ingested. */
  /**
   * Every image that matches one of the look-ups exactly (stream, bytes, file name), ascending by id: the duplicate
   * check of a window of images at once.
   */
  findIngestedImages(lookups: readonly IngestedLookup[]): Promise<ImageRecord[]>
  /** The failed image of the stream with this file name whose bytes were never read (unreadable, too large). */
  findUnreadFile(stream: string, imageFilename: string): Promise<ImageRecord | null>

  // analyze
  getImage(imageId: number): Promise<ImageRecord | null>
  /** The latest image of the same stream before `imageNum` whose status is not `failed`. */
  findPreviousImage(stream: string, imageNum: number): Promise<ImageRecord | null>
  /**
   * {@link getImage} and {@link findPreviousImage} of its number in one round trip: null when the image is not
   * there; `previous` null when it has no number or no earlier image that is not failed.
   */
  getImageWithPrevious(imageId: number): Promise<{ image: ImageRecord; previous: ImageRecord | null } | null>
  /**
   * In one transaction and a few statements whatever their number (the analyze stage gathers the writes of its
   * concurrent handlers): stores each analysis on its image row (status → analyzed) and, when given, inserts the
   * event unless the image already has one (then returns that one, `created: false`). Outcomes are in the writes' order; a write
   * without an event gets `{ event: null, created: false }` (an existing event is not looked up). A missing image
   * fails the whole batch with NotFoundError.
   */
  recordAnalyses(writes: readonly AnalysisWrite[]): Promise<AnalysisWriteOutcome[]>
  /**
   * Sets the difference image key of events inserted without one, in two statements (idempotent: a key already
   * set is kept); rows in the given order.
   */
  setEventDifferenceKeys(keys: readonly { imageEventId: number; differenceImageObjectKey: string }[]): Promise<ImageEventRecord[]>
  /** Status → failed with a stable error code and a one-line message (kept, never deleted). */
  markImageFailed(imageId: number, errorCode: string, errorMessage: string): Promise<void>
  getEvent(imageEventId: number): Promise<ImageEventRecord | null>
  getEventByImageId(imageId: number): Promise<ImageEventRecord | null>

  // alert
  /**
   * The events with these ids, each with its image, in one statement: the alert stage reads a batch of events at
   * once. Ids not in image_event are left out; the order is unspecified.
   */
  getEventsWithImages(imageEventIds: readonly number[]): Promise<{ event: ImageEventRecord; image: ImageRecord }[]>
  /**
   * Inserts the alert of each event unless it already has one (either way its stored row): one transaction, one
   * multi-row insert. Outcomes in the order of the ids; an id given
   * twice is `created` once at most. Callers racing on overlapping ids get one alert per event, `created` for exactly
   * one of them. Leaves out receiver rows: Subscriptions.recordAlerts writes those with the alerts.
   */
  insertAlerts(imageEventIds: readonly number[], createdAt: Date): Promise<{ alert: AlertRecord; created: boolean }[]>
  /**
   * Marks alerts delivered in one UPDATE, with one time and channel list. NotFoundError names the ids
   * not in image_event_alert; the others are marked all the same.
   */
  markAlertsDelivered(imageEventAlertIds: readonly number[], channels: string[], deliveredAt: Date): Promise<void>

  // recovery: what a stage must (re)publish after a crash
  listImagesByStatus(status: ImageStatus, page: Page): Promise<ImageRecord[]>
  /** Events that have a difference image key but no alert yet. */
  listEventsWithoutAlert(page: Page): Promise<ImageEventRecord[]>
  /** Events whose difference image was never stored (a crash between the event insert and the upload). */
  listEventsWithoutKey(page: Page): Promise<ImageEventRecord[]>
  listUndeliveredAlerts(page: Page): Promise<AlertRecord[]>
  /**
   * Sets the chosen images back to `received`, analysis cleared, for `imgpipe reanalyze`; returns how many.
   * Images that failed on receipt (never valid bytes) are left failed; events and alerts are kept.
   */
  resetForReanalysis(filter: ReanalysisFilter): Promise<number>
  /** Failed images, oldest first. */
  listFailedImages(limit: number): Promise<ImageRecord[]>

  // viewers and operators
  getAlertView(imageEventAlertId: number): Promise<AlertView | null>
  /** Newest first; `beforeId` pages backwards; the filter keeps one stream's or one time range's. */
  listAlertViews(options: { limit: number; beforeId?: number } & AlertListFilter): Promise<AlertView[]>
  /** Streams by name with their counts and newest images: two statements whatever the number of streams. */
  listStreamSummaries(options: StreamListOptions): Promise<StreamSummary[]>
  /** One stream's newest images with metrics and alerts, and its receive and alert times since `since`. */
  streamActivity(stream: string, options: { limit: number; since: Date }): Promise<StreamActivity>
  /** Counts over all streams, or over the given ones. */
  counts(streams?: readonly string[]): Promise<PipelineCounts>
  /** Raw rows of one table, ascending by id, with the column names as in the database. */
  tableRows(table: CatalogTable, page: Page): Promise<Record<string, unknown>[]>
  tableCounts(): Promise<Record<CatalogTable, number>>
  /** Deletes every row, keeps the schema. */
  emptyTables(): Promise<void>
  /** Drops the tables and recreates them: destructive, for `imgpipe db reset --yes`. */
  reset(): Promise<void>
}
