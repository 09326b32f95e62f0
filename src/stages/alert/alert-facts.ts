import { parseRecord } from '../../analysis/fits/fits-header.js'
import { ConeMatcher } from '../../analysis/sky-index/cone-matcher.js'
import { DEFAULT_MOCK_SKY } from '../../analysis/sky/mock-sky.js'
import type { DiaSourceRecord, ObjectLedger, WatchlistCone } from '../../core/ports/object-ledger.js'
import type { AlertFacts, DetectionFacts, SubscriptionAdmin } from '../../core/ports/subscriptions.js'
import type { ImageEventRecord, ImageRecord } from '../../core/types.js'
import { factNeeds, type FactNeeds } from './alert-filter.js'

/**
 * Without a MAGZP card the zero point of the mock sky and its fakes (1 ADU ≙ mag 26): the only science frames
 * imgpipe makes itself; a real camera's frames carry their own MAGZP.
 */
const DEFAULT_ZERO_POINT = DEFAULT_MOCK_SKY.zeroPoint
const MAGZP_CARD = /^MAGZP {3}= /

/** What the facts are read from: the object ledger, and the subscriptions' filters (which facts are worth reading). */
export interface AlertFactsSources {
  objects: ObjectLedger
  subscriptions: Pick<SubscriptionAdmin, 'listSubscriptions'>
}

/**
 * Builds the facts subscription filters look at for a batch of events. The image and event facts cost nothing;
 * the detection facts are read only when an enabled subscription has a detection criterion, and each kind only
 * when one asks for it:
 * - detections: one `detectionsOfEvents` for the distinct events of the batch (on SQL one indexed SELECT for up to
 *   900 events: a batch of 500 is one round trip, where a read per event cost 500 statements);
 * - watchlists: a ConeMatcher over every cone, built once and rebuilt only when `listWatchlists` (one small query
 *   per batch) shows another set of watchlists, so each detection costs one in-memory look-up however many cones;
 * - earlier detections: one `objects` read for the batch's distinct objects (each count, minus this detection when
 *   it is the latest),
 *   and its `history` only when the object was seen again after this detection (a late alert).
 * Which filters are enabled is read once per batch (one query): a subscription enabled during a batch sees the
 * next one's facts.
 */
export class AlertFactsReader {
  #version: string | null = null
  #matcher: Promise<ConeMatcher<WatchlistCone>> | null = null

  constructor(private readonly sources: AlertFactsSources) {}

  /** The facts of each event, in the order given. */
  async read(events: readonly { event: ImageEventRecord; image: ImageRecord }[]): Promise<AlertFacts[]> {
    const base = events.map(({ event, image }) => ({
      stream: image.stream,
      eventType: event.eventType,
      changedFraction: image.changedFraction,
    }))
    const subscriptions = await this.sources.subscriptions.listSubscriptions({ enabledOnly: true })
    const needs = factNeeds(subscriptions.map((subscription) => subscription.filter))
    if (!needs.detections) return base
    const eventIds = [...new Set(events.map(({ event }) => event.imageEventId))]
    const [byEvent, matcher] = await Promise.all([
      this.sources.objects.detectionsOfEvents(eventIds),
      needs.watchlists ? this.#watchlistMatcher() : null,
    ])
    const priors = needs.priorDetections ? await this.#priorDetections([...byEvent.values()].flat()) : null
    return events.map(({ event, image }, at) => {
      const zeroPoint = needs.mag ? zeroPointOf(image) : DEFAULT_ZERO_POINT
      const detections = (byEvent.get(event.imageEventId) ?? []).map((source) => detectionFacts(source, needs, zeroPoint, matcher, priors))
      return { ...base[at]!, detections }
    })
  }

  /** The matcher of the current watchlists: rebuilt when their ids, cone counts or creation times change. */
  async #watchlistMatcher(): Promise<ConeMatcher<WatchlistCone>> {
    const lists = await this.sources.objects.listWatchlists()
    const version = lists.map((list) => `${list.watchlistId}:${list.cones}:${list.createdAt.getTime()}`).join(',')
    if (this.#matcher === null || version !== this.#version) {
      this.#version = version
      this.#matcher = this.sources.objects.watchlistCones().then((cones) => new ConeMatcher(cones))
      // A failed load is not kept: the next batch tries again.
      this.#matcher.catch(() => {
        this.#matcher = null
      })
    }
    return this.#matcher
  }

  /** Per source id, how many detections its object had before it. */
  async #priorDetections(sources: readonly DiaSourceRecord[]): Promise<Map<number, number>> {
    const objectIds = [...new Set(sources.map((source) => source.objectId))]
    const byId = await this.sources.objects.objects(objectIds)
    const priors = new Map<number, number>()
    const late = new Set<number>()
    for (const source of sources) {
      const object = byId.get(source.objectId)
      if (object === undefined) continue
      // The usual case: the alert follows its detection's association, so the object's latest detection is this one.
      if (object.lastMjd <= source.mjd) priors.set(source.sourceId, object.nDetections - 1)
      else late.add(object.objectId)
    }
    if (late.size > 0) {
      const histories = await Promise.all([...late].map((id) => this.sources.objects.history(id)))
      for (const history of histories) {
        // Oldest first (by MJD, then id): a source's index is the number of detections before it.
        history.forEach((earlier, index) => {
          if (!priors.has(earlier.sourceId)) priors.set(earlier.sourceId, index)
        })
      }
    }
    return priors
  }
}

function detectionFacts(
  source: DiaSourceRecord,
  needs: FactNeeds,
  zeroPoint: number,
  matcher: ConeMatcher<WatchlistCone> | null,
  priors: ReadonlyMap<number, number> | null,
): DetectionFacts {
  return {
    snr: source.snr,
    psfFlux: source.psfFlux,
    realBogus: source.realBogus,
    mag: needs.mag ? magnitude(source.psfFlux, zeroPoint) : null,
    priorDetections: priors?.get(source.sourceId) ?? null,
    watchlists: matcher === null ? [] : [...new Set(matcher.match(source.ra, source.dec).map((cone) => cone.watchlist))],
  }
}

/** The magnitude of |flux| (ADU) at a zero point; null for no flux. */
function magnitude(flux: number, zeroPoint: number): number | null {
  const size = Math.abs(flux)
  return size > 0 && Number.isFinite(size) ? zeroPoint - 2.5 * Math.log10(size) : null
}

/** The image header's MAGZP, else the mock sky's. */
function zeroPointOf(image: ImageRecord): number {
  const line = image.observation?.header.split('\n').find((card) => MAGZP_CARD.test(card))
  if (line === undefined) return DEFAULT_ZERO_POINT
  const value = parseRecord(line.padEnd(80)).value
  return typeof value === 'number' && Number.isFinite(value) ? value : DEFAULT_ZERO_POINT
}
