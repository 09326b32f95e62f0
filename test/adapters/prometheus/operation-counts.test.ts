import { request } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Admin } from '@platformatic/kafka'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  exposeOperationCounts,
  objectRequestOp,
  operationCounts,
  startOperationCounting,
  type OperationKind,
} from '../../../src/adapters/prometheus/operation-counts.js'
import { PrometheusMetrics } from '../../../src/adapters/prometheus/prometheus-metrics.js'
import { S3ObjectStore } from '../../../src/adapters/s3/s3-object-store.js'
import { openSqliteBackend } from '../../../src/adapters/sqlite/sqlite-catalog.js'
import { kafkaTestBrokers } from '../../support/bus-backends.js'
import { deleteS3Prefix, s3TestUrl, uniqueS3Config } from '../../support/store-backends.js'

/** Counts are per process and other tests may run before: measure what one piece of work adds. */
async function added(work: () => Promise<void>): Promise<Record<string, number>> {
  const flat = (): Map<string, number> => {
    const map = new Map<string, number>()
    for (const [kind, ops] of Object.entries(operationCounts())) {
      for (const [op, n] of Object.entries(ops)) map.set(`${kind}:${op}`, n)
    }
    return map
  }
  const before = flat()
  await work()
  const delta: Record<string, number> = {}
  for (const [key, n] of flat()) if (n !== (before.get(key) ?? 0)) delta[key] = n - (before.get(key) ?? 0)
  return delta
}

const count = (kind: OperationKind, op: string): string => `${kind}:${op}`

let stop: () => void
beforeAll(() => {
  stop = startOperationCounting()
})
afterAll(() => stop())

describe('operation counts', () => {
  it('counts each SQL statement by kind and each transaction begun and committed, the driver’s own BEGIN included', async () => {
    const backend = openSqliteBackend({ path: ':memory:' })
    try {
      await sql`create table t (id integer primary key, name text)`.execute(backend.db)
      const delta = await added(async () => {
        await backend.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('t' as never)
            .values({ id: 1, name: 'a' } as never)
            .execute()
          await trx
            .updateTable('t' as never)
            .set({ name: 'b' } as never)
            .execute()
        })
        await backend.db
          .selectFrom('t' as never)
          .selectAll()
          .execute()
        await sql`select count(*) from t`.execute(backend.db)
        await backend.db.deleteFrom('t' as never).execute()
        await backend.db
          .transaction()
          .execute(async () => {
            throw new Error('undo')
          })
          .catch(() => undefined)
      })
      expect(delta).toEqual({
        [count('sql_transaction', 'begin')]: 2,
        [count('sql_transaction', 'commit')]: 1,
        [count('sql_transaction', 'rollback')]: 1,
        [count('sql_statement', 'insert')]: 1,
        [count('sql_statement', 'update')]: 1,
        [count('sql_statement', 'select')]: 2,
        [count('sql_statement', 'delete')]: 1,
      })
    } finally {
      await backend.release()
    }
  })

  it('shows the counts on /metrics as imgpipe_operations_total, adding only what happened since the last scrape', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false })
    const stopExposing = exposeOperationCounts(metrics)
    const backend = openSqliteBackend({ path: ':memory:' })
    try {
      const total = (): number => operationCounts().sql_statement?.['select'] ?? 0
      await sql`select 1`.execute(backend.db)
      const first = await metrics.scrape()
      expect(first.body).toContain(`imgpipe_operations_total{kind="sql_statement",op="select"} ${total()}`)
      await sql`select 2`.execute(backend.db)
      await sql`select 3`.execute(backend.db)
      const second = await metrics.scrape()
      expect(second.body).toContain(`imgpipe_operations_total{kind="sql_statement",op="select"} ${total()}`)
    } finally {
      stopExposing()
      await backend.release()
    }
  })

  it('names object requests by method, a listing LIST and a batch delete DELETE_MANY', () => {
    expect(objectRequestOp('GET', '/bucket/key.jpg')).toBe('GET')
    expect(objectRequestOp('GET', '/bucket?list-type=2&prefix=a%2F')).toBe('LIST')
    expect(objectRequestOp('POST', '/bucket?delete')).toBe('DELETE_MANY')
    expect(objectRequestOp('PUT', '/bucket/key.jpg?x-id=PutObject')).toBe('PUT')
  })

  it('leaves out HTTP requests that are not the object store’s (webhooks, Slack)', async () => {
    const server = createServer((_, response) => response.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const delta = await added(
        () =>
          new Promise<void>((resolve, reject) => {
            request({ host: '127.0.0.1', port, method: 'POST', path: '/hook' }, (response) => {
              response.resume().on('end', resolve)
            })
              .on('error', reject)
              .end('{}')
          }),
      )
      expect(delta).toEqual({})
    } finally {
      server.close()
    }
  })

  const s3Url = s3TestUrl()
  it.skipIf(s3Url === null)('counts each S3 request of the SDK by method', async () => {
    const config = uniqueS3Config(s3Url!, 'opcounts')
    const store = new S3ObjectStore(config)
    try {
      await store.ensureReady()
      const delta = await added(async () => {
        await store.put('a.jpg', new Uint8Array([1, 2, 3]))
        await store.put('b.jpg', new Uint8Array([4]))
        expect([...(await store.get('a.jpg'))]).toEqual([1, 2, 3])
        expect(await store.stat('b.jpg')).not.toBeNull()
        const keys: string[] = []
        for await (const item of store.list()) keys.push(item.key)
        expect(keys.sort()).toEqual(['a.jpg', 'b.jpg'])
      })
      expect(delta).toEqual({
        [count('object_request', 'PUT')]: 2,
        [count('object_request', 'GET')]: 1,
        [count('object_request', 'HEAD')]: 1,
        [count('object_request', 'LIST')]: 1,
      })
    } finally {
      await store.close()
      await deleteS3Prefix(config)
    }
  })

  const brokers = kafkaTestBrokers()
  it.skipIf(brokers === null)('counts Kafka requests by API name', async () => {
    const admin = new Admin({ clientId: 'imgpipe-test-opcounts', bootstrapBrokers: brokers! })
    try {
      const delta = await added(async () => {
        await admin.listTopics()
      })
      expect(delta[count('kafka_request', 'Metadata')]).toBeGreaterThanOrEqual(1)
      expect(Object.keys(delta).every((key) => key.startsWith('kafka_request:') && !key.includes('api_'))).toBe(true)
    } finally {
      await admin.close()
    }
  })
})
