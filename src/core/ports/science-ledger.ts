/**
 * What difference imaging records beyond the image and its event (issue 18): references per field, each science
 * image's run against its reference (method, fit quality, the fakes injected and whether each came back), the
 * derivative images of an event (difference, noise map, per-detection stamps), and the event types. The detections
 * themselves are `dia_source` rows, written through the {@link ObjectLedger} (association), tied to the event.
 *
 * One event per image with all its detections (`image_event` stays unique per image, as its idempotency needs); an
 * alert names its detections through `dia_source.image_event_id`, so a packet per detection can be made from it.
 *
 * Every write is idempotent on a natural key, as the catalog's are: a run on image_id, a derivative on
 * (image_event_id, name), a reference on (stream, field, filter, version). Adapters: SQL (the catalog's database)
 * and memory.
 *
 * Leaves out: deleting references (a new version supersedes; old ones stay so each run keeps meaning what it said),
 * and per-pixel products other than as objects in the store.
 */

/** The names `image_event.event_type` may hold, with what they mean: rows of `image_event_type`. */
export interface EventTypeRecord {
  readonly name: string
  readonly description: string
}

/** A reference (template) of one field in one filter, as built or set. */
export interface ReferenceRecord {
  referenceId: number
  stream: string
  field: string
  filter: string
  /** 1, 2, …: a new build or `reference set` adds a version; analyses use the latest ready one. */
  version: number
  /** `building` while claimed by a process (nobody else builds that version), `ready` once its object is stored. */
  status: 'building' | 'ready'
  /** A FITS file: primary HDU the background-subtracted reference with its WCS, an extension `NOISE` (σ per pixel). */
  objectKey: string | null
  /** How many frames went in (1 for `reference set`). */
  frames: number
  /** The PSF's FWHM measured on it, pixels. */
  fwhm: number | null
  /** The catalog images it was built from (empty for `reference set`). */
  imageIds: number[]
  createdAt: Date
}

export interface ReferenceKey {
  readonly stream: string
  readonly field: string
  readonly filter: string
}

/** How a finished build is recorded. */
export interface ReferenceFinish {
  readonly objectKey: string
  readonly frames: number
  readonly fwhm: number
  readonly imageIds: readonly number[]
}

/** One injected fake point source and what came back of it. */
export interface FakeRecord {
  /** Pixel position (0-based) and the flux injected, ADU; the magnitude at the image's zero point. */
  readonly x: number
  readonly y: number
  readonly flux: number
  readonly mag: number
  /** flux / its expected error on the difference image (the S/N the fake should be detected at). */
  readonly expectedSnr: number
  readonly recovered: boolean
  /** PSF flux measured at its position when recovered, else null. */
  readonly measuredFlux: number | null
}

/** One science image's difference-imaging run. */
export interface DiffimRun {
  readonly imageId: number
  readonly referenceId: number
  /** E.g. `gaussian-kernel`: how the two PSFs were matched. */
  readonly psfMethod: string
  readonly scienceFwhm: number
  readonly referenceFwhm: number
  /** What the detection S/N was divided by for correlated noise (1 = none): the subtraction's fit quality. */
  readonly noiseCorrection: number
  /** Detections above the threshold before the real-bogus cut, and those that passed (fakes excluded). */
  readonly candidates: number
  readonly detections: number
  readonly seconds: number
  readonly fakes: readonly FakeRecord[]
}

export interface DiffimRunRecord extends DiffimRun {
  readonly stream: string
  readonly createdAt: Date
}

/** An image an analysis made for an event: the difference, the noise map, stamps, previews. */
export interface NewDerivative {
  readonly imageEventId: number
  /** Unique per event, e.g. `difference.fits`, `stamp-3-science.fits`, `stamp-3-science.png`. */
  readonly name: string
  readonly objectKey: string
  readonly contentType: string
  /** The detection (dia_source.source_id) a stamp belongs to; null for whole-image products. */
  readonly sourceId: number | null
}

export interface DerivativeRecord extends NewDerivative {
  readonly derivativeId: number
}

export interface FakeRecoveryFilter {
  readonly stream?: string
  /** Only runs created at or after this time. */
  readonly since?: Date
}

export interface ScienceLedger {
  /** The `image_event_type` rows, by name. */
  eventTypes(): Promise<EventTypeRecord[]>
  /** The latest `ready` reference of a field and filter, or null. */
  latestReference(key: ReferenceKey): Promise<ReferenceRecord | null>
  getReference(referenceId: number): Promise<ReferenceRecord | null>
  listReferences(stream?: string): Promise<ReferenceRecord[]>
  /**
   * Claims the next version of a field's reference for building: a `building` row. Returns null when another
   * process holds a claim on that field younger than `staleMs` (it is building it: do not build it twice); an older
   * claim is taken over (its builder died).
   */
  claimReference(key: ReferenceKey, staleMs: number): Promise<ReferenceRecord | null>
  /**
   * Marks a claimed reference `ready` with its object; idempotent: a reference already ready is returned as it is
   * (the first finish wins, e.g. of a slow builder and the one that took its claim over). NotFoundError if none.
   */
  finishReference(referenceId: number, finish: ReferenceFinish): Promise<ReferenceRecord>
  /**
   * Records runs with their fakes in one transaction; a run for an image that has one already is left as it is (its
   * fakes too). A run naming a reference that does not exist fails the whole batch with NotFoundError: a run's
   * stream is its reference's.
   */
  recordDiffimRuns(runs: readonly DiffimRun[]): Promise<void>
  getDiffimRun(imageId: number): Promise<DiffimRunRecord | null>
  /** The fakes of the runs that match, with their runs' stream: what `imgpipe report completeness` bins. */
  fakeRecoveries(filter: FakeRecoveryFilter): Promise<(FakeRecord & { imageId: number; stream: string })[]>
  /** Records derivatives; one already recorded under its (event, name) is left as it is. */
  recordDerivatives(derivatives: readonly NewDerivative[]): Promise<void>
  /** An event's derivatives, by name. */
  listDerivatives(imageEventId: number): Promise<DerivativeRecord[]>
}
