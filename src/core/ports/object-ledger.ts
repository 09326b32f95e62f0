/**
 * Objects (Rubin's DIAObject) and their detections (DIASource), and cone watchlists: where the difference-imaging
 * detections of every image are gathered into objects seen before. Adapters: SQL (the catalog's database) and
 * memory. The spatial work (sky keys, the association itself) is pure and injected, see `ObjectLedgerDeps`.
 */

/** One detection to associate: a difference-image source with where, when and how bright. */
export interface DetectionInput {
  /** The catalog image it was found on (null in tests and benchmarks without images). */
  readonly imageId: number | null
  readonly stream: string
  /** Degrees, ICRS. */
  readonly ra: number
  readonly dec: number
  /** Modified Julian Date of the exposure. */
  readonly mjd: number
  /** Filter band, e.g. `r`. */
  readonly filter: string
  readonly psfFlux: number
  readonly psfFluxErr: number
  readonly snr: number
  readonly realBogus: number
  /** `new_source`, `brightening` or `fading`. */
  readonly kind: string
  /** Pixel position on the image (0-based). */
  readonly x: number
  readonly y: number
  /** The event of its image (difference imaging records detections with the image's event; null otherwise). */
  readonly imageEventId?: number | null
  /** The rest of difference imaging's measurement (measure.ts): stored when given, null otherwise. */
  readonly apFlux?: number
  readonly apFluxErr?: number
  readonly fwhm?: number
  readonly elongation?: number
  readonly nbad?: number
  readonly nneg?: number
  /** Pixels to the nearest image edge. */
  readonly edgeDistance?: number
}

/** Running sums of one filter's PSF fluxes: plain and inverse-variance weighted means follow from them. */
export interface FluxSums {
  n: number
  sum: number
  /** Σ 1/σ² and Σ f/σ² over the detections with σ > 0. */
  sumWeight: number
  sumWeightedFlux: number
}

/** An object's state as the association sees it; `objectId` null for one created by the batch at hand. */
export interface ObjectState {
  objectId: number | null
  ra: number
  dec: number
  nDetections: number
  firstMjd: number
  lastMjd: number
  /** The stream of its first detection. */
  stream: string
  fluxes: Record<string, FluxSums>
}

export interface DiaObjectRecord extends ObjectState {
  objectId: number
}

export interface DiaSourceRecord extends DetectionInput {
  readonly sourceId: number
  readonly objectId: number
}

export interface AssociationOptions {
  /** Default 1″. */
  readonly radiusArcsec?: number
}

export interface AssociationOutcome {
  /** The object of each detection, in the order given. */
  readonly objectIds: number[]
  /** How many of them the batch created. */
  readonly created: number
}

/** What a pure association decides for one batch: the objects it touched or made, and each detection's object. */
export interface AssociationPlan {
  /** Touched objects: existing ones (objectId set) with their new state, and new ones (objectId null). */
  readonly objects: ObjectState[]
  /** Per detection (input order), the index into `objects`. */
  readonly assignment: number[]
}

export interface InclusiveKeyRange {
  readonly lo: number
  readonly hi: number
}

/** The pure functions an adapter needs (from src/analysis): injected, since adapters sit beneath analysis. */
export interface ObjectLedgerDeps {
  skyKey(ra: number, dec: number): number
  /** Merged key ranges holding every position within `radiusDeg` of (ra, dec). */
  coneRanges(ra: number, dec: number, radiusDeg: number): InclusiveKeyRange[]
  associate(detections: readonly DetectionInput[], candidates: readonly DiaObjectRecord[], radiusArcsec: number): AssociationPlan
}

export interface NewWatchlistCone {
  /** The cone's own name (a target), unique within nothing: shown with a match. */
  readonly name: string
  readonly ra: number
  readonly dec: number
  readonly radiusArcsec: number
}

export interface WatchlistRecord {
  watchlistId: number
  name: string
  cones: number
  createdAt: Date
}

export interface WatchlistCone extends NewWatchlistCone {
  readonly coneId: number
  readonly watchlistId: number
  readonly watchlist: string
}

export interface ObjectLedger {
  /**
   * Associates a batch in one transaction: each detection joins the nearest object within the radius or starts a
   * new one, and is recorded. Concurrent batches over the same sky never create two objects for one source.
   * Idempotent per image: detections whose `imageId` already has `dia_source` rows are not recorded again (the
   * outcome gives those rows' objects in the order of their source ids), so an analysis retried after a crash adds
   * nothing. The k-th detection of such an image in the batch gets the object of its k-th recorded row (the last
   * row's when the retry found more); detections without an image are always associated.
   */
  associate(detections: readonly DetectionInput[], options?: AssociationOptions): Promise<AssociationOutcome>
  /** The objects with these ids, by id; an unknown id has no entry. One read for a whole batch (alert facts). */
  objects(objectIds: readonly number[]): Promise<Map<number, DiaObjectRecord>>
  /** The object's detections, oldest first (by MJD, then id). */
  history(objectId: number): Promise<DiaSourceRecord[]>
  /** The detections recorded on an image, in source-id order. */
  detectionsOfImage(imageId: number): Promise<DiaSourceRecord[]>
  /**
   * The detections recorded with each event, in source-id order: every id given is a key (an event without
   * detections has an empty list). One read for a whole batch, so a filtered alert batch costs one round trip.
   */
  detectionsOfEvents(imageEventIds: readonly number[]): Promise<Map<number, DiaSourceRecord[]>>
  /** Objects within `radiusArcsec` of a position, nearest first. */
  objectsNear(ra: number, dec: number, radiusArcsec: number): Promise<DiaObjectRecord[]>
  /** Creates the watchlist with its cones, or throws CatalogConflictError when the name is taken. */
  addWatchlist(name: string, cones: readonly NewWatchlistCone[]): Promise<WatchlistRecord>
  listWatchlists(): Promise<WatchlistRecord[]>
  /** By id or name; false when there is none. */
  removeWatchlist(which: number | string): Promise<boolean>
  /** Every cone of every watchlist (for an in-memory matcher). */
  watchlistCones(): Promise<WatchlistCone[]>
  /** The cones that contain a position, through the sky index. */
  matchWatchlists(ra: number, dec: number): Promise<WatchlistCone[]>
}
