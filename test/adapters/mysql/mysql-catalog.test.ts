import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { classifyMysqlError, openMysqlCatalog } from '../../../src/adapters/mysql/mysql-catalog.js'
import type { SqlCatalog } from '../../../src/adapters/sql/sql-catalog.js'
import type { DriverError } from '../../../src/adapters/sql/sql-errors.js'
import { CatalogUnavailableError } from '../../../src/core/errors.js'
import { catalogContract } from '../../contracts/catalog-contract.js'
import type { OpenedCatalog } from '../../support/catalog-backends.js'
import { mariadbBackend, testServerConfig } from '../../support/catalog-backends.js'

function driverError(fields: Partial<DriverError>): DriverError {
  return { message: '', code: undefined, errno: undefined, sqlState: undefined, fatal: false, ...fields }
}

describe('classifyMysqlError', () => {
  it('classifies mysql2 codes and SQLSTATEs', () => {
    expect(classifyMysqlError(driverError({ code: 'ER_LOCK_DEADLOCK', sqlState: '40001' }))).toBe('contention')
    expect(classifyMysqlError(driverError({ code: 'ER_CON_COUNT_ERROR' }))).toBe('transient')
    expect(classifyMysqlError(driverError({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))).toBe('transient')
    expect(classifyMysqlError(driverError({ code: 'ER_LOCK_WAIT_TIMEOUT' }))).toBe('transient')
    expect(classifyMysqlError(driverError({ code: 'ER_ACCESS_DENIED_ERROR', sqlState: '28000', fatal: true }))).toBe('refused')
    expect(classifyMysqlError(driverError({ code: 'ER_BAD_DB_ERROR', sqlState: '42000' }))).toBe('refused')
    expect(classifyMysqlError(driverError({ code: 'ER_NO_SUCH_TABLE', sqlState: '42S02' }))).toBe('no-schema')
    expect(classifyMysqlError(driverError({ code: 'ER_NO_REFERENCED_ROW_2', sqlState: '23000' }))).toBe('conflict')
    expect(classifyMysqlError(driverError({ code: 'ER_DATA_TOO_LONG', sqlState: '22001' }))).toBe('conflict')
    expect(classifyMysqlError(driverError({ code: 'ER_PARSE_ERROR', sqlState: '42000' }))).toBeNull()
  })
})

describe('openMysqlCatalog without a server', () => {
  it('describes itself without the password and opens no connection until used', async () => {
    const catalog = openMysqlCatalog({ host: '127.0.0.1', port: 1, user: 'app', password: 'secret-pw', database: 'imgpipe', ssl: false })
    expect(catalog.description).toBe('mysql://app@127.0.0.1:1/imgpipe')
    expect(catalog.description).not.toContain('secret-pw')
    await catalog.close()
  })

  it('maps a refused connection to a retryable CatalogUnavailableError', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const catalog = openMysqlCatalog({ host: '127.0.0.1', port: 1, user: 'app', password: 'secret-pw', database: 'imgpipe', ssl: false })
    const error = await catalog.ping().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CatalogUnavailableError)
    expect((error as CatalogUnavailableError).canRetry).toBe(true)
    expect((error as Error).cause).toBeDefined()
    expect((error as Error).message).not.toContain('secret-pw')
    await catalog.close()
  })
})

const backend = mariadbBackend()
// Skipped (the reason is logged) when IMGPIPE_TEST_MYSQL_URL is not set; under CI=true a missing server fails instead.
describe.skipIf(backend === null)('MariaDB/MySQL catalog on IMGPIPE_TEST_MYSQL_URL', () => {
  catalogContract('mariadb', () => backend!.open())

  describe('openMysqlCatalog on the test server', () => {
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

    it('creates InnoDB utf8mb4_bin tables with DATETIME(3) columns defaulting to CURRENT_TIMESTAMP(3)', async () => {
      const tables = await opened.executeSql(
        `SELECT table_name AS name, engine, table_collation AS collation FROM information_schema.tables
          WHERE table_schema = DATABASE() AND table_name LIKE 'image%' ORDER BY table_name`,
      )
      expect(tables).toEqual([
        { name: 'image_event', engine: 'InnoDB', collation: 'utf8mb4_bin' },
        { name: 'image_event_alert', engine: 'InnoDB', collation: 'utf8mb4_bin' },
        { name: 'image_event_alert_receiver', engine: 'InnoDB', collation: 'utf8mb4_bin' },
        { name: 'image_event_derivative_image', engine: 'InnoDB', collation: 'utf8mb4_bin' },
        { name: 'image_event_subscriber', engine: 'InnoDB', collation: 'utf8mb4_bin' },
        { name: 'image_event_subscription', engine: 'InnoDB', collation: 'utf8mb4_bin' },
        { name: 'image_event_type', engine: 'InnoDB', collation: 'utf8mb4_bin' },
        { name: 'image_metadata', engine: 'InnoDB', collation: 'utf8mb4_bin' },
      ])
      const [column] = await opened.executeSql(
        `SELECT column_type AS type, column_default AS dflt FROM information_schema.columns
          WHERE table_schema = DATABASE() AND table_name = 'image_metadata' AND column_name = 'received_at'`,
      )
      expect(column?.['type']).toBe('datetime(3)')
      expect(String(column?.['dflt']).toLowerCase()).toMatch(/^current_timestamp\(3\)$/)
    })

    it('runs every session in UTC, so column defaults and bound dates agree', async () => {
      const [zone] = await opened.executeSql('SELECT @@session.time_zone AS tz')
      expect(zone?.['tz']).toBe('+00:00')
      await opened.executeSql("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('a.jpg', 'image/a.jpg')")
      const [row] = await opened.executeSql('SELECT DATE_FORMAT(received_at, "%Y-%m-%dT%H:%i:%s") AS text, received_at FROM image_metadata')
      // The server's text and the Date mysql2 made of it name the same UTC instant.
      expect((row?.['received_at'] as Date).toISOString().slice(0, 19)).toBe(row?.['text'])
    })

    it('maps a wrong password to a non-retryable CatalogUnavailableError that does not echo it', async () => {
      const server = testServerConfig('mysql')!
      const wrong = openMysqlCatalog({ ...server, password: 'definitely-wrong-pw' })
      const error = await wrong.ping().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(CatalogUnavailableError)
      expect((error as CatalogUnavailableError).canRetry).toBe(false)
      expect((error as Error).message).not.toContain('definitely-wrong-pw')
      await wrong.close()
    })

    it('maps an unknown database to a non-retryable CatalogUnavailableError', async () => {
      const server = testServerConfig('mysql')!
      const missing = openMysqlCatalog({ ...server, database: 'imgpipe_t_does_not_exist' })
      const error = await missing.ping().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(CatalogUnavailableError)
      expect((error as CatalogUnavailableError).canRetry).toBe(false)
      await missing.close()
    })
  })
})
