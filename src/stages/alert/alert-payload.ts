import type { AlertItem, AlertLinks, AlertPayload } from '../../core/ports/delivery-channel.js'
import type { AlertView } from '../../core/types.js'

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
  }
}

export function alertPayload(deliveryId: string, subscription: string, items: AlertItem[]): AlertPayload {
  return { schema: 'imgpipe.alert/1', deliveryId, subscription, alerts: items }
}
