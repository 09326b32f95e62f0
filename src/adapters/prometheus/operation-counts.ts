/**
 * Counts what a stage process asks of its services, by observing rather than wrapping: SQL statements and
 * transactions (the catalog's connections publish them, see src/adapters/sql/counting-dialect.ts), object store
 * requests (Node's `http.client.request.start` channel, which sees every request of the AWS SDK's Node handler)
 * and Kafka requests (@platformatic/kafka's `plt:kafka:connections:api` tracing channel, one start per request,
 * its context carrying the API key). Each observation is one Map increment; the Prometheus counter
 * `imgpipe_operations_total{kind, op}` is brought up to date at scrape time.
 *
 * The tally is per process (the channels are): two metrics registries in one process both see the whole of it.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { ClientRequest } from 'node:http'
import type { PrometheusMetrics } from './prometheus-metrics.js'

export type OperationKind = 'sql_statement' | 'sql_transaction' | 'object_request' | 'kafka_request'

/** Counts by `kind` then `op`. */
export type OperationCounts = Partial<Record<OperationKind, Record<string, number>>>

/**
 * Published by src/adapters/sql/counting-dialect.ts, messages `{ kind: 'sql_statement' | 'sql_transaction', op }`.
 * Named here, not imported: adapters do not import each other (the channel is the whole contract).
 */
const SQL_OPERATION_CHANNEL = 'imgpipe:sql:operation'
const KAFKA_API_CHANNEL = 'tracing:plt:kafka:connections:api:start'
const HTTP_REQUEST_CHANNEL = 'http.client.request.start'

/**
 * The client-side Kafka APIs by key (the protocol's own numbering); a key not listed is counted as `api_<key>`.
 * Written out rather than imported from @platformatic/kafka: a process without Kafka should not load it.
 */
const KAFKA_APIS: Readonly<Record<number, string>> = {
  0: 'Produce',
  1: 'Fetch',
  2: 'ListOffsets',
  3: 'Metadata',
  8: 'OffsetCommit',
  9: 'OffsetFetch',
  10: 'FindCoordinator',
  11: 'JoinGroup',
  12: 'Heartbeat',
  13: 'LeaveGroup',
  14: 'SyncGroup',
  15: 'DescribeGroups',
  16: 'ListGroups',
  17: 'SaslHandshake',
  18: 'ApiVersions',
  19: 'CreateTopics',
  20: 'DeleteTopics',
  22: 'InitProducerId',
  24: 'AddPartitionsToTxn',
  25: 'AddOffsetsToTxn',
  26: 'EndTxn',
  28: 'TxnOffsetCommit',
  32: 'DescribeConfigs',
  36: 'SaslAuthenticate',
  37: 'CreatePartitions',
  42: 'DeleteGroups',
  60: 'DescribeCluster',
  68: 'ConsumerGroupHeartbeat',
}

const tally = new Map<OperationKind, Map<string, number>>()
let subscribers = 0

function add(kind: OperationKind, op: string): void {
  let ops = tally.get(kind)
  if (ops === undefined) tally.set(kind, (ops = new Map()))
  ops.set(op, (ops.get(op) ?? 0) + 1)
}

const onSql = (message: unknown): void => {
  const { kind, op } = message as { kind: 'sql_statement' | 'sql_transaction'; op: string }
  add(kind, op)
}

const onKafka = (message: unknown): void => {
  const apiKey = (message as { apiKey?: unknown }).apiKey
  if (typeof apiKey === 'number') add('kafka_request', KAFKA_APIS[apiKey] ?? `api_${apiKey}`)
}

const onHttp = (message: unknown): void => {
  const request = (message as { request?: ClientRequest }).request
  // Only the SDK's requests: the webhook and Slack channels use node:http too. Every SDK v3 request carries an
  // invocation id header.
  if (request === undefined || !request.hasHeader('amz-sdk-invocation-id')) return
  add('object_request', objectRequestOp(request.method, request.path))
}

/** GET, PUT, HEAD, DELETE as sent; a GET with `list-type` is a LIST, a POST with `?delete` a batch DELETE_MANY. */
export function objectRequestOp(method: string, path: string): string {
  const query = path.indexOf('?')
  if (query === -1) return method
  const search = new URLSearchParams(path.slice(query + 1))
  if (method === 'GET' && search.has('list-type')) return 'LIST'
  if (method === 'POST' && search.has('delete')) return 'DELETE_MANY'
  return method
}

/** Starts counting (once per process however many callers); the returned function stops this caller's share. */
export function startOperationCounting(): () => void {
  if (subscribers++ === 0) {
    subscribe(SQL_OPERATION_CHANNEL, onSql)
    subscribe(KAFKA_API_CHANNEL, onKafka)
    subscribe(HTTP_REQUEST_CHANNEL, onHttp)
  }
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    if (--subscribers === 0) {
      unsubscribe(SQL_OPERATION_CHANNEL, onSql)
      unsubscribe(KAFKA_API_CHANNEL, onKafka)
      unsubscribe(HTTP_REQUEST_CHANNEL, onHttp)
    }
  }
}

/** The process's counts since counting first started. */
export function operationCounts(): OperationCounts {
  const counts: OperationCounts = {}
  for (const [kind, ops] of tally) counts[kind] = Object.fromEntries(ops)
  return counts
}

/**
 * Counts this process's operations and exposes them on `metrics` as `imgpipe_operations_total{kind, op}`;
 * returns the function that stops counting.
 */
export function exposeOperationCounts(metrics: PrometheusMetrics): () => void {
  const stop = startOperationCounting()
  const reported = new Map<string, number>()
  metrics.addCollector(async (registry) => {
    for (const [kind, ops] of tally) {
      for (const [op, total] of ops) {
        const key = `${kind} ${op}`
        const delta = total - (reported.get(key) ?? 0)
        if (delta <= 0) continue
        registry.increment('imgpipe_operations_total', { kind, op }, delta)
        reported.set(key, total)
      }
    }
  })
  return stop
}
