import { startMetricsServer, type MetricsServer } from '../adapters/prometheus/metrics-server.js'
import { exposeOperationCounts } from '../adapters/prometheus/operation-counts.js'
import { PrometheusMetrics } from '../adapters/prometheus/prometheus-metrics.js'
import type { Bus, ConsumerOf } from '../core/ports/bus.js'
import type { CatalogAdmin } from '../core/ports/catalog-admin.js'
import type { CatalogReports } from '../core/ports/catalog-reports.js'
import type { Metrics } from '../core/ports/metrics.js'
import type { ObjectStore } from '../core/ports/object-store.js'
import type { CliContext } from './cli-context.js'

export interface StageMetrics {
  metrics: Metrics
  server: MetricsServer
  close(): Promise<void>
}

/**
 * The `--metrics-port` endpoint of `receive`, `analyze` and `alert`: the stages' counters and timings, and at
 * each scrape the catalog's pending rows and the consumer lag of the groups this process consumes with.
 * Null when no port is configured.
 */
export async function startStageMetrics(
  context: CliContext,
  backends: { catalog: Pick<CatalogReports, 'counts'> & Pick<CatalogAdmin, 'ping'>; store: ObjectStore; bus: Bus },
  consumers: readonly ConsumerOf[],
): Promise<StageMetrics | null> {
  const { port, host } = context.config.metrics
  if (port === null) return null
  const { catalog, store, bus } = backends
  const metrics = new PrometheusMetrics()
  metrics.addCollector(async (registry) => {
    const counts = await catalog.counts()
    registry.set('imgpipe_pending_rows', counts.imagesReceived, { kind: 'images_received' })
    registry.set('imgpipe_pending_rows', Math.max(0, counts.events - counts.alerts), { kind: 'events_unalerted' })
    registry.set('imgpipe_pending_rows', counts.alertsUndelivered, { kind: 'alerts_undelivered' })
  })
  if (consumers.length > 0) {
    metrics.addCollector(async (registry) => {
      const rows = await bus.consumerLag(consumers)
      registry.resetGauge('imgpipe_consumer_lag_messages')
      for (const row of rows) {
        registry.set('imgpipe_consumer_lag_messages', Number(row.lag), {
          group: row.group,
          topic: row.topic,
          partition: String(row.partition),
        })
      }
    })
  }
  const server = await startMetricsServer({
    host,
    port,
    metrics,
    logger: context.logger,
    readiness: {
      database: () => catalog.ping(),
      store: async () => {
        // One page of a listing: the store answers (a HEAD on a missing S3 bucket looks like a missing key).
        for await (const object of store.list('.imgpipe-ready/')) return void object
      },
      broker: () => bus.ping(),
    },
  })
  // Statements, transactions, object and Kafka requests of this process, as imgpipe_operations_total.
  const stopCounting = exposeOperationCounts(metrics)
  context.logger.info({ url: server.url }, `metrics on ${server.url}/metrics (health: /health, readiness: /ready)`)
  return {
    metrics,
    server,
    close: async () => {
      stopCounting()
      await server.close()
    },
  }
}
