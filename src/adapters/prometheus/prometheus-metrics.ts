/**
 * The Metrics port on prom-client: every series of the core catalogue (src/core/ports/metrics.ts) is
 * registered up front in a registry of its own (not prom-client's global one, so two pipelines in one process,
 * as in tests, never share counts), plus Node's default process metrics.
 *
 * prom-client calls used: new Registry(), new Counter/Histogram/Gauge({ name, help, labelNames, buckets,
 * registers }), counter.inc(labels, value), histogram.observe(labels, value), gauge.set(labels, value),
 * gauge.reset(), collectDefaultMetrics({ register }), registry.metrics(), registry.contentType.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import {
  COUNTERS,
  GAUGES,
  HISTOGRAMS,
  type CounterName,
  type GaugeName,
  type HistogramName,
  type Labels,
  type Metrics,
} from '../../core/ports/metrics.js'

/** Runs before each scrape to refresh gauges computed elsewhere (catalog rows, consumer lag). */
export type ScrapeCollector = (metrics: PrometheusMetrics) => Promise<void>

export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry()
  private readonly counters = new Map<CounterName, Counter>()
  private readonly histograms = new Map<HistogramName, Histogram>()
  private readonly gauges = new Map<GaugeName, Gauge>()
  private readonly collectors: ScrapeCollector[] = []

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry]
    for (const [name, spec] of Object.entries(COUNTERS)) {
      this.counters.set(name as CounterName, new Counter({ name, help: spec.help, labelNames: [...spec.labels], registers }))
    }
    for (const [name, spec] of Object.entries(HISTOGRAMS)) {
      const histogram = new Histogram({ name, help: spec.help, labelNames: [...spec.labels], buckets: [...spec.buckets], registers })
      this.histograms.set(name as HistogramName, histogram)
    }
    for (const [name, spec] of Object.entries(GAUGES)) {
      this.gauges.set(name as GaugeName, new Gauge({ name, help: spec.help, labelNames: [...spec.labels], registers }))
    }
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'imgpipe_' })
  }

  increment(name: CounterName, labels: Labels = {}, by = 1): void {
    this.counters.get(name)!.inc(labels, by)
  }

  observe(name: HistogramName, seconds: number, labels: Labels = {}): void {
    this.histograms.get(name)!.observe(labels, seconds)
  }

  set(name: GaugeName, value: number, labels: Labels = {}): void {
    this.gauges.get(name)!.set(labels, value)
  }

  /** Forgets every label set of a gauge, so that a partition or kind that vanished is not reported forever. */
  resetGauge(name: GaugeName): void {
    this.gauges.get(name)!.reset()
  }

  addCollector(collector: ScrapeCollector): void {
    this.collectors.push(collector)
  }

  /**
   * The text exposition format. Collectors run first; one that fails leaves its gauges as they were and the
   * failure is returned for logging: a scrape should not fail because the broker is slow to answer.
   */
  async scrape(): Promise<{ contentType: string; body: string; failures: unknown[] }> {
    const results = await Promise.allSettled(this.collectors.map((collect) => collect(this)))
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []))
    return { contentType: this.registry.contentType, body: await this.registry.metrics(), failures }
  }
}
