/**
 * Metrics the stages report, by name, in Prometheus style. The catalogue below is the whole vocabulary: a
 * stage names one of these series and gives its labels; an adapter (prom-client) registers and exposes them.
 * The default, `NO_METRICS`, drops everything, so a stage never checks whether metrics are on.
 *
 * Leaves out: exposition (the adapter serves `/metrics`), metrics a scrape computes from the catalog or the
 * bus (pending rows, consumer lag: see the adapter's collectors), summaries, and label values that are not
 * bounded (never an id, a file name or a stream name: each value is a new series).
 */
export const COUNTERS = {
  imgpipe_images_received_total: {
    help: 'Images the receive stage handled, by outcome (received, failed: recorded as bad input, duplicate: already recorded)',
    labels: ['outcome'],
  },
  imgpipe_images_analyzed_total: { help: 'Images the analyze stage compared with their predecessor', labels: [] },
  imgpipe_images_failed_total: { help: 'Images the analyze stage recorded as failed (corrupt or missing bytes)', labels: [] },
  imgpipe_events_total: { help: 'Image events recorded (the image differed from the previous one of its stream)', labels: [] },
  imgpipe_alerts_total: { help: 'Alerts recorded by the alert stage', labels: [] },
  imgpipe_deliveries_total: { help: 'Alert deliveries per channel, by outcome (ok, failed)', labels: ['channel', 'outcome'] },
  imgpipe_dead_letters_total: { help: 'Messages parked on a dead-letter topic, by the topic they came from', labels: ['topic'] },
  imgpipe_operations_total: {
    help: 'Requests this process made of its services, by kind (sql_statement, sql_transaction, object_request, kafka_request) and op (statement kind, transaction end, HTTP method, Kafka API)',
    labels: ['kind', 'op'],
  },
} as const satisfies Record<string, MetricSpec>

export const HISTOGRAMS = {
  imgpipe_handler_duration_seconds: {
    help: 'Time a stage took to handle one message, retries included',
    labels: ['stage'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  },
  imgpipe_receive_to_alert_seconds: {
    help: 'Time from an image being received to its alert being delivered',
    labels: [],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  },
} as const satisfies Record<string, MetricSpec & { buckets: readonly number[] }>

export const GAUGES = {
  imgpipe_consumer_lag_messages: {
    help: 'Messages of a topic partition not yet committed by a consumer group (end offset - committed offset)',
    labels: ['group', 'topic', 'partition'],
  },
  imgpipe_pending_rows: {
    help: 'Catalog rows waiting for a stage (images_received: not analysed yet; events_unalerted; alerts_undelivered)',
    labels: ['kind'],
  },
} as const satisfies Record<string, MetricSpec>

export interface MetricSpec {
  help: string
  labels: readonly string[]
}

export type CounterName = keyof typeof COUNTERS
export type HistogramName = keyof typeof HISTOGRAMS
export type GaugeName = keyof typeof GAUGES

/** Label values by label name; only the labels the series declares. */
export type Labels = Readonly<Record<string, string>>

export interface Metrics {
  /** Adds `by` (default 1) to a counter. */
  increment(name: CounterName, labels?: Labels, by?: number): void
  /** Records one duration, in seconds. */
  observe(name: HistogramName, seconds: number, labels?: Labels): void
  set(name: GaugeName, value: number, labels?: Labels): void
}

export const NO_METRICS: Metrics = {
  increment: () => {},
  observe: () => {},
  set: () => {},
}

/** Seconds since `startedNs` (from `process.hrtime.bigint()`), for `observe`. */
export function secondsSince(startedNs: bigint): number {
  return Number(process.hrtime.bigint() - startedNs) / 1e9
}
