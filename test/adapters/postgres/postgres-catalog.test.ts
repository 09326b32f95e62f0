import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { classifyPostgresError, openPostgresBackend, openPostgresCatalog } from '../../../src/adapters/postgres/postgres-catalog.js'
import type { SqlCatalog } from '../../../src/adapters/sql/sql-catalog.js'
import type { DriverError } from '../../../src/adapters/sql/sql-errors.js'
import { CatalogUnavailableError } from '../../../src/core/errors.js'
import { catalogContract } from '../../contracts/catalog-contract.js'
import type { OpenedCatalog } from '../../support/catalog-backends.js'
import { postgresBackend, testServerConfig } from '../../support/catalog-backends.js'
import { insertOneImage, recordOneAnalysis } from '../../support/catalog-writes.js'

function driverError(fields: Partial<DriverError>): DriverError {
  return { message: '', code: undefined, errno: undefined, sqlState: undefined, fatal: false, ...fields }
}

describe('classifyPostgresError', () => {
  it('classifies SQLSTATEs and pg connection messages', () => {
    expect(classifyPostgresError(driverError({ code: '40001' }))).toBe('contention')
    expect(classifyPostgresError(driverError({ code: '40P01' }))).toBe('contention')
    expect(classifyPostgresError(driverError({ code: '53300' }))).toBe('transient') // too_many_connections
    expect(classifyPostgresError(driverError({ code: '57P01' }))).toBe('transient')
    expect(classifyPostgresError(driverError({ code: '08006' }))).toBe('transient')
    expect(classifyPostgresError(driverError({ code: '28P01' }))).toBe('refused')
    expect(classifyPostgresError(driverError({ code: '3D000' }))).toBe('refused')
    expect(classifyPostgresError(driverError({ code: '42P01' }))).toBe('no-schema')
    expect(classifyPostgresError(driverError({ code: '23503' }))).toBe('conflict')
    expect(classifyPostgresError(driverError({ code: '22001' }))).toBe('conflict')
    expect(classifyPostgresError(driverError({ message: 'Connection terminated unexpectedly' }))).toBe('transient')
    expect(classifyPostgresError(driverError({ code: '42601' }))).toBeNull() // syntax error: a bug
  })
})

describe('openPostgresCatalog without a server', () => {
  it('describes itself without the password', async () => {
    const catalog = openPostgresCatalog({ host: '127.0.0.1', port: 1, user: 'app', password: 'secret-pw', database: 'imgpipe', ssl: false })
    expect(catalog.description).toBe('postgres://app@127.0.0.1:1/imgpipe')
    await catalog.close()
  })

  it('maps a refused connection to a retryable CatalogUnavailableError', async () => {
    const catalog = openPostgresCatalog({ host: '127.0.0.1', port: 1, user: 'app', password: 'secret-pw', database: 'imgpipe', ssl: false })
    const error = await catalog.ping().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CatalogUnavailableError)
    expect((error as CatalogUnavailableError).canRetry).toBe(true)
    expect((error as Error).message).not.toContain('secret-pw')
    await catalog.close()
  })
})

const backend = postgresBackend()
// Skipped (the reason is logged) when IMGPIPE_TEST_POSTGRES_URL is not set; under CI=true a missing server fails instead.
describe.skipIf(backend === null)('PostgreSQL catalog on IMGPIPE_TEST_POSTGRES_URL', () => {
  catalogContract('postgres', () => backend!.open())

  describe('openPostgresCatalog on the test server', () => {
    let opened: OpenedCatalog
    let catalog: SqlCatalog

    beforeEach(async () => {
      opened = await backend!.open()
      catalog = opened.catalog
      await catalog.migrate()
    })

    afterEach(async () => {
      await opened.cleanup()
    })

    it('uses timestamptz(3) and identity ids', async () => {
      const columns = await opened.executeSql(
        `SELECT column_name AS name, data_type AS type, datetime_precision AS precision, is_identity AS identity
           FROM information_schema.columns
          WHERE table_name = 'image_metadata' AND column_name IN ('image_id', 'received_at') ORDER BY column_name`,
      )
      expect(columns).toEqual([
        { name: 'image_id', type: 'integer', precision: null, identity: 'YES' },
        { name: 'received_at', type: 'timestamp with time zone', precision: 3, identity: 'NO' },
      ])
    })

    it('keeps instants whatever the session time zone', async () => {
      const at = new Date('2024-07-01T10:20:30.456Z')
      await opened.executeSql("SET TIME ZONE 'America/Los_Angeles'")
      const { image } = await insertOneImage(catalog, {
        stream: 's',
        imageNum: 1,
        imageFilename: 'a.jpg',
        imageObjectKey: 'image/s/a.jpg',
        contentSha256: 'a'.repeat(64),
        byteSize: 2 ** 40,
        width: 1,
        height: 1,
        format: 'jpeg',
        status: 'received',
      })
      await recordOneAnalysis(
        catalog,
        image.imageId,
        { previousImageId: null, l2Norm: 0, changedFraction: 0, maxAbsDifference: 0, analyzedAt: at },
        null,
      )
      const stored = await catalog.getImage(image.imageId)
      expect(stored?.analyzedAt?.toISOString()).toBe('2024-07-01T10:20:30.456Z')
      expect(stored?.byteSize).toBe(2 ** 40) // bigint arrives as a string and is converted
    })

    it('survives the server closing a connection a transaction holds (no unhandled error event), then works on', async () => {
      const backend = openPostgresBackend(testServerConfig('postgres')!)
      try {
        const ended = backend.db.transaction().execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)
          await sql`SELECT pg_terminate_backend(${rows[0]!.pid})`.execute(backend.db)
          // The checked-out client emits 'error' now; without a listener the process would crash.
          await new Promise((resolve) => setTimeout(resolve, 300))
        })
        await expect(ended).rejects.toThrow()
        const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(backend.db)
        expect(rows).toEqual([{ one: 1 }])
      } finally {
        await backend.release()
      }
    })

    it('maps an unknown database to a non-retryable CatalogUnavailableError', async () => {
      // (A wrong password cannot be tested: the machine's PostgreSQL trusts loopback connections.)
      const server = testServerConfig('postgres')!
      const missing = openPostgresCatalog({ ...server, database: 'imgpipe_t_does_not_exist' })
      const error = await missing.ping().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(CatalogUnavailableError)
      expect((error as CatalogUnavailableError).canRetry).toBe(false)
      await missing.close()
    })
  })
})
