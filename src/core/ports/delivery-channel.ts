import type { AlertViewDetection } from '../types.js'

/** Absolute links of one alert, when IMGPIPE_PUBLIC_URL is set (the viewer's routes). */
export interface AlertLinks {
  alertPage?: string
  image?: string
  previousImage?: string
  difference?: string
}

/**
 * One alert as subscribers receive it: the JSON `data` of a CloudEvent, the value of a Kafka alert-stream
 * message (schema `schemas/alert-v1.json`), and the facts the Slack and e-mail texts are made of.
 */
export interface AlertItem {
  alertNum: number
  imageEventId: number
  eventType: string
  stream: string
  imageNum: number | null
  imageId: number
  imageFilename: string
  previousImageId: number | null
  changedFraction: number | null
  l2Norm: number | null
  maxAbsDifference: number | null
  detectedAt: string
  createdAt: string
  links: AlertLinks
  /** Difference imaging: the event's detections, most significant first; absent for other events. */
  detections?: AlertDetection[]
}

/**
 * One detection of an alert (a DIASource), for JSON channels: the view's detection, its `stamps` turned from derivative
 * names into links under the public URL.
 */
export type AlertDetection = AlertViewDetection

export interface AlertPayload {
  schema: 'imgpipe.alert/1'
  deliveryId: string
  subscription: string
  /** One alert, or the alerts a digest interval held (oldest first). */
  alerts: AlertItem[]
  /**
   * Present only on messages of `imgpipe subscription test`: the alerts are a sample (the latest alert
   * again, or a made-up one), nothing new was detected. Every channel says so in its subject and text.
   */
  test?: true
}

/** One attempt to hand a payload to one subscription's target. */
export interface Delivery {
  /** Stable across retries: the CloudEvents `id`, `webhook-id`, the Kafka message's key suffix, the mail's Message-ID. */
  deliveryId: string
  /**
   * Who it is for: a subscription, or (for the channels of the alert stage's own process, the log) `subscriptionId`
   * 0 with the channel's kind as name and an empty target.
   */
  subscription: { subscriptionId: number; name: string; target: string; secret: string | null }
  payload: AlertPayload
  /** 1 for the first attempt. */
  attempt: number
  /** Aborted when the attempt times out or the worker stops. */
  signal: AbortSignal
  /** The alerts' images (previous, image, difference), read on demand, each at most a small size; for e-mail. */
  images(): Promise<AlertImage[]>
}

export interface AlertImage {
  alertNum: number
  role: 'previous' | 'image' | 'difference'
  /** The attachment's name as the reader sees it, unique within a message: `difference-7.jpg`. */
  filename: string
  /** From the stored object's key, so it agrees with the name's extension (`contentTypeForKey`). */
  contentType: string
  bytes: Buffer
}

export interface DeliveryReceipt {
  /** HTTP status or SMTP reply code; null where the target has none (Kafka). */
  responseCode: number | null
  /** A short answer of the target, for `imgpipe subscription test`. */
  detail: string
}

/**
 * Where alerts go: the one channel port. The log (src/adapters/log), webhook, Slack, SMTP and Kafka topic
 * (one adapter folder each) all implement it. The alert stage hands every alert to the channels of its process
 * (the log) as it records it; the delivery worker sends what each subscription wants on that subscription's
 * channel. Delivery is at-least-once, with `deliveryId` unchanged across attempts so the target can de-duplicate.
 *
 * Failures throw DeliveryFailedError: `canRetry` false for a permanent refusal (4xx other than 408/429,
 * SMTP 5xx), with `responseCode` and `retryAfterMs` when the target said so.
 * Leaves out: scheduling, backoff and bookkeeping (the alert stage and the delivery worker do those).
 */
export interface DeliveryChannel {
  /** Stable short name: a subscription's `channel`, and what `image_event_alert.delivery_channels` records. */
  readonly kind: string
  send(delivery: Delivery): Promise<DeliveryReceipt>
  close(): Promise<void>
}
