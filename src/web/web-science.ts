import type { DiaSourceRecord, ObjectLedger } from '../core/ports/object-ledger.js'
import type { DerivativeRecord, DiffimRunRecord, ReferenceRecord, ScienceLedger } from '../core/ports/science-ledger.js'
import type { AlertView } from '../core/types.js'

/**
 * What the viewer reads of difference imaging (issue 18): the detections (`dia_source` rows) and objects of the
 * ObjectLedger, the derivative images, runs and references of the ScienceLedger. The CLI hands both over, as it
 * hands over the catalog: the web layer imports no adapter.
 */
export interface WebScience {
  readonly detections: Pick<ObjectLedger, 'detectionsOfEvents' | 'objects' | 'history'>
  readonly ledger: Pick<ScienceLedger, 'listDerivatives' | 'listReferences' | 'getReference' | 'getDiffimRun'>
}

/** An alert's difference-imaging products: empty lists for an event of the pixel-difference analyzer. */
export interface AlertScience {
  readonly detections: readonly DiaSourceRecord[]
  readonly derivatives: readonly DerivativeRecord[]
  readonly run: DiffimRunRecord | null
  /** The reference the run used, for the link to its field and the caption. */
  readonly reference: ReferenceRecord | null
}

export const NO_SCIENCE: AlertScience = { detections: [], derivatives: [], run: null, reference: null }

export async function loadAlertScience(science: WebScience, view: AlertView): Promise<AlertScience> {
  const id = view.event.imageEventId
  const [detections, derivatives, run] = await Promise.all([
    science.detections.detectionsOfEvents([id]).then((byEvent) => byEvent.get(id) ?? []),
    science.ledger.listDerivatives(view.event.imageEventId),
    science.ledger.getDiffimRun(view.image.imageId),
  ])
  const reference = run === null ? null : await science.ledger.getReference(run.referenceId)
  return { detections, derivatives, run, reference }
}

/** The three stamps ZTF and Rubin send, in the order they are shown. */
export const STAMP_KINDS = ['science', 'reference', 'difference'] as const
export type StampKind = (typeof STAMP_KINDS)[number]

const STAMP_NAME = /^stamp-\d+-(science|reference|difference)\.(png|fits)$/

/** A detection's stamps by kind: PNG previews and FITS cutouts, through the rows that name its source id. */
export function stampsOf(
  derivatives: readonly DerivativeRecord[],
  sourceId: number,
): Record<StampKind, { png: DerivativeRecord | null; fits: DerivativeRecord | null }> {
  const stamps = {
    science: { png: null, fits: null },
    reference: { png: null, fits: null },
    difference: { png: null, fits: null },
  } as Record<StampKind, { png: DerivativeRecord | null; fits: DerivativeRecord | null }>
  for (const derivative of derivatives) {
    if (derivative.sourceId !== sourceId) continue
    const match = STAMP_NAME.exec(derivative.name)
    if (match === null) continue
    stamps[match[1] as StampKind][match[2] as 'png' | 'fits'] = derivative
  }
  return stamps
}

/** A derivative's URL, relative to the viewer's root: found again through its row, never through a key. */
export function derivativeUrl(derivative: Pick<DerivativeRecord, 'imageEventId' | 'name'>, root: string): string {
  return `${root}derivatives/${derivative.imageEventId}/${encodeURIComponent(derivative.name)}`
}

/** The field page of a stream's field, relative to the viewer's root. */
export function fieldUrl(stream: string, field: string, root: string): string {
  return `${root}fields/${encodeURIComponent(stream)}/${encodeURIComponent(field)}`
}

/** Most significant first, whatever the sign: what the terminal viewer shows of an alert with many. */
export function mostSignificant<T extends { snr: number }>(detections: readonly T[]): T | null {
  let best: T | null = null
  for (const detection of detections) if (best === null || Math.abs(detection.snr) > Math.abs(best.snr)) best = detection
  return best
}
