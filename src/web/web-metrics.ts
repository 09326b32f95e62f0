import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/**
 * Prometheus metrics of the viewer, registered in the caller's registry (which may hold the pipeline's
 * series too): requests by route and status, their durations, and the open event streams. Routes are
 * labelled by their pattern (`/images/:imageId`), and unknown URLs as `unmatched`, so a scanner cannot
 * create a series per URL.
 */
export function registerWebMetrics(app: FastifyInstance, registry: Registry, eventStreams: () => number): void {
  const requests = new Counter({
    name: 'imgpipe_web_http_requests_total',
    help: 'HTTP requests answered by the viewer, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  })
  const durations = new Histogram({
    name: 'imgpipe_web_http_request_duration_seconds',
    help: 'Time from request to response by the viewer (event streams: until the client leaves)',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  new Gauge({
    name: 'imgpipe_web_event_streams',
    help: 'Open /events streams (live pages)',
    registers: [registry],
    collect() {
      this.set(eventStreams())
    },
  })

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const method = request.method
    requests.inc({ method, route, status_code: String(reply.statusCode) })
    durations.observe({ method, route }, reply.elapsedTime / 1000)
  })

  app.get('/metrics', { exposeHeadRoute: false }, async (_request, reply) => {
    const text = await registry.metrics()
    return reply.header('cache-control', 'no-store').type(registry.contentType).send(text)
  })
}
