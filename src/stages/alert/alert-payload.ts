import type { CatalogReports } from '../../core/ports/catalog-reports.js'
import type { AlertDetection, AlertItem, AlertLinks, AlertPayload } from '../../core/ports/delivery-channel.js'
import type { ObjectLedger } from '../../core/ports/object-ledger.js'
import type { ScienceLedger } from '../../core/ports/science-ledger.js'
import type { AlertView, AlertViewDetection } from '../../core/types.js'

/**
 * Absolute links to the viewer's routes (`/?alert_num=N`, `/images/:id`, `/difference/:eventId`) under the
 * public URL, or none when it is not set: a message never carries a link that only works on localhost.
 */
export function alertLinks(view: AlertView, publicUrl: string | undefined): AlertLinks {
  if (publicUrl === undefined || publicUrl === '') return {}
  const base = publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`
  const at = (relative: string): string => new URL(relative, base).toString()
  return {
    alertPage: at(`?alert_num=${view.alert.imageEventAlertId}`),
    image: at(`images/${view.image.imageId}`),
    ...(view.previousImage === null ? {} : { previousImage: at(`images/${view.previousImage.imageId}`) }),
    difference: at(`difference/${view.event.imageEventId}`),
  }
}

export function alertItem(view: AlertView, publicUrl: string | undefined): AlertItem {
  const { alert, event, image } = view
  return {
    alertNum: alert.imageEventAlertId,
    imageEventId: event.imageEventId,
    eventType: event.eventType,
    stream: image.stream,
    imageNum: image.imageNum,
    imageId: image.imageId,
    imageFilename: image.imageFilename,
    previousImageId: image.previousImageId,
    changedFraction: image.changedFraction,
    l2Norm: image.l2Norm,
    maxAbsDifference: image.maxAbsDifference,
    detectedAt: event.detectedAt.toISOString(),
    createdAt: alert.createdAt.toISOString(),
    links: alertLinks(view, publicUrl),
    ...(view.detections === undefined ? {} : { detections: view.detections.map((found) => alertDetection(view, found, publicUrl)) }),
  }
}

/** A detection with its stamps as links to the viewer's `/derivatives/:imageEventId/:name` (none without a public URL). */
function alertDetection(view: AlertView, found: AlertViewDetection, publicUrl: string | undefined): AlertDetection {
  const stamps: AlertDetection['stamps'] = {}
  if (publicUrl !== undefined && publicUrl !== '') {
    const base = publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`
    for (const which of ['science', 'reference', 'difference'] as const) {
      const name = found.stamps[which]
      if (name !== undefined) stamps[which] = new URL(`derivatives/${view.event.imageEventId}/${encodeURIComponent(name)}`, base).toString()
    }
  }
  const { sourceId, objectId, ra, dec, psfFlux, psfFluxErr, snr, kind, realBogus } = found
  return { sourceId, objectId, ra, dec, psfFlux, psfFluxErr, snr, kind, realBogus, stamps }
}

/** Where the detections of an alert's event are: the object ledger's rows and the science ledger's stamps. */
export interface AlertScience {
  readonly objects: Pick<ObjectLedger, 'detectionsOfEvents'>
  readonly ledger: Pick<ScienceLedger, 'listDerivatives'>
}

/**
 * The catalog's alert views with their event's detections (difference imaging), most significant first: what the
 * delivery worker reads for its payloads. An event without detections (pixel-diff) gets none.
 */
export function withDetections(catalog: Pick<CatalogReports, 'getAlertView'>, science: AlertScience): Pick<CatalogReports, 'getAlertView'> {
  return {
    async getAlertView(alertId) {
      const view = await catalog.getAlertView(alertId)
      if (view === null || view.event.analyzer !== 'diffim') return view
      const [sources, derivatives] = await Promise.all([
        science.objects.detectionsOfEvents([view.event.imageEventId]).then((found) => found.get(view.event.imageEventId) ?? []),
        science.ledger.listDerivatives(view.event.imageEventId),
      ])
      const stampOf = (sourceId: number, which: string): string | undefined =>
        derivatives.find((derivative) => derivative.sourceId === sourceId && derivative.name.endsWith(`-${which}.fits`))?.name
      const detections = sources
        .map((source) => ({
          sourceId: source.sourceId,
          objectId: source.objectId,
          ra: source.ra,
          dec: source.dec,
          psfFlux: source.psfFlux,
          psfFluxErr: source.psfFluxErr,
          snr: source.snr,
          kind: source.kind,
          realBogus: source.realBogus,
          stamps: {
            science: stampOf(source.sourceId, 'science'),
            reference: stampOf(source.sourceId, 'reference'),
            difference: stampOf(source.sourceId, 'difference'),
          },
        }))
        .sort((a, b) => Math.abs(b.snr) - Math.abs(a.snr))
      return { ...view, detections }
    },
  }
}

export function alertPayload(deliveryId: string, subscription: string, items: AlertItem[]): AlertPayload {
  return { schema: 'imgpipe.alert/1', deliveryId, subscription, alerts: items }
}
