import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { classifySqliteError, openSqliteBackend, openSqliteCatalog } from '../../../src/adapters/sqlite/sqlite-catalog.js'
import type { DriverError } from '../../../src/adapters/sql/sql-errors.js'
import { CatalogUnavailableError } from '../../../src/core/errors.js'
import { catalogContract } from '../../contracts/catalog-contract.js'
import { sqliteFileBackend, sqliteMemoryBackend } from '../../support/catalog-backends.js'
import { rawSqlCatalog } from '../../support/raw-sql.js'
import { insertOneImage } from '../../support/catalog-writes.js'

catalogContract('sqlite-file', sqliteFileBackend.open)
catalogContract('sqlite-memory', sqliteMemoryBackend.open)

function driverError(code: string, message = ''): DriverError {
  return { code, message, errno: undefined, sqlState: undefined, fatal: false }
}

describe('openSqliteCatalog', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-sqlite-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('opens lazily, then creates the parent directories and the file on first use', async () => {
    const file = path.join(dir, 'a', 'b', 'imgpipe.db')
    const catalog = openSqliteCatalog({ path: file })
    expect(catalog.description).toBe(`sqlite:${file}`)
    await expect(stat(path.join(dir, 'a'))).rejects.toMatchObject({ code: 'ENOENT' })
    await catalog.migrate()
    expect((await stat(file)).isFile()).toBe(true)
    await catalog.close()
  })

  it('resolves a relative path and describes itself with the absolute one', async () => {
    const catalog = openSqliteCatalog({ path: path.relative(process.cwd(), path.join(dir, 'rel.db')) })
    expect(catalog.description).toBe(`sqlite:${path.join(dir, 'rel.db')}`)
    await catalog.close()
  })

  it('sets WAL, synchronous=NORMAL, foreign keys and a busy timeout on its connection', async () => {
    const { catalog, executeSql } = rawSqlCatalog(openSqliteBackend({ path: path.join(dir, 'p.db') }))
    const pragma = async (name: string): Promise<unknown> => Object.values((await executeSql(`PRAGMA ${name}`))[0] ?? {})[0]
    expect(await pragma('journal_mode')).toBe('wal')
    expect(await pragma('synchronous')).toBe(1) // NORMAL
    expect(await pragma('foreign_keys')).toBe(1)
    expect(await pragma('busy_timeout')).toBe(5000)
    await catalog.close()
  })

  it('stores timestamps as ISO-8601 UTC text with milliseconds, also as the column default', async () => {
    const { catalog, executeSql } = rawSqlCatalog(openSqliteBackend({ path: ':memory:' }))
    await catalog.migrate()
    await executeSql("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('a.jpg', 'image/a.jpg')")
    await insertOneImage(catalog, {
      stream: 's',
      imageNum: 1,
      imageFilename: 'b.jpg',
      imageObjectKey: 'image/s/b.jpg',
      contentSha256: 'f'.repeat(64),
      byteSize: 1,
      width: 1,
      height: 1,
      format: 'jpeg',
      status: 'received',
    })
    const rows = await executeSql('SELECT received_at, typeof(received_at) AS type FROM image_metadata ORDER BY image_id')
    for (const row of rows) {
      expect(row['type']).toBe('text')
      expect(row['received_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    }
    await catalog.close()
  })

  it('reads hand-written SQLite timestamps without a zone as UTC', async () => {
    const { catalog, executeSql } = rawSqlCatalog(openSqliteBackend({ path: ':memory:' }))
    await catalog.migrate()
    await executeSql(
      "INSERT INTO image_metadata (image_filename, image_object_key, received_at) VALUES ('a.jpg', 'image/a.jpg', '2024-05-01 12:00:00')",
    )
    const [row] = await catalog.tableRows('image_metadata', { limit: 1 })
    expect(row?.['received_at']).toBe('2024-05-01T12:00:00.000Z')
    expect((await catalog.getImage(Number(row?.['image_id'])))?.receivedAt.toISOString()).toBe('2024-05-01T12:00:00.000Z')
    await catalog.close()
  })

  it('shares one connection between catalogs of one file in a process, and closes it with the last', async () => {
    const file = path.join(dir, 'shared.db')
    const first = openSqliteCatalog({ path: file })
    const second = openSqliteCatalog({ path: file })
    await Promise.all([first.migrate(), second.migrate()])
    const { image } = await insertOneImage(first, {
      stream: 's',
      imageNum: 1,
      imageFilename: 'b.jpg',
      imageObjectKey: 'image/s/b.jpg',
      contentSha256: 'f'.repeat(64),
      byteSize: 1,
      width: 1,
      height: 1,
      format: 'jpeg',
      status: 'received',
    })
    await first.close()
    expect(await second.getImage(image.imageId)).toEqual(image)
    await second.close()
  })

  it('waits for another process that holds the write lock instead of failing', async () => {
    const file = path.join(dir, 'locked.db')
    const prepared = openSqliteCatalog({ path: file })
    await prepared.migrate()
    await prepared.close()
    // A separate process takes the write lock, reports it, and commits a moment later.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)});
         db.exec('BEGIN IMMEDIATE'); db.exec("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('x.jpg', 'image/x.jpg')");
         console.log('locked'); setTimeout(() => { db.exec('COMMIT'); db.close() }, 300)`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const [line] = (await once(createInterface({ input: holder.stdout }), 'line')) as [string]
    expect(line).toBe('locked')
    const catalog = openSqliteCatalog({ path: file })
    await catalog.migrate()
    const { image } = await insertOneImage(catalog, {
      stream: 's',
      imageNum: 1,
      imageFilename: 'b.jpg',
      imageObjectKey: 'image/s/b.jpg',
      contentSha256: 'f'.repeat(64),
      byteSize: 1,
      width: 1,
      height: 1,
      format: 'jpeg',
      status: 'received',
    })
    expect(image.imageFilename).toBe('b.jpg')
    expect((await catalog.tableCounts()).image_metadata).toBe(2)
    await catalog.close()
    await once(holder, 'exit')
  })

  it('maps a database file it cannot open to a non-retryable CatalogUnavailableError', async () => {
    const notADatabase = path.join(dir, 'not-a-db.db')
    await writeFile(notADatabase, 'this is not a database file, just text'.repeat(200))
    const catalog = openSqliteCatalog({ path: notADatabase })
    const error = await catalog.migrate().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CatalogUnavailableError)
    expect((error as CatalogUnavailableError).canRetry).toBe(false)
    expect((error as Error).cause).toBeDefined()
    await catalog.close()
  })
})

describe('classifySqliteError', () => {
  it('classifies better-sqlite3 and file-system codes', () => {
    expect(classifySqliteError(driverError('SQLITE_BUSY'))).toBe('transient')
    expect(classifySqliteError(driverError('SQLITE_BUSY_SNAPSHOT'))).toBe('transient')
    expect(classifySqliteError(driverError('SQLITE_IOERR_WRITE'))).toBe('transient')
    expect(classifySqliteError(driverError('SQLITE_CONSTRAINT_FOREIGNKEY'))).toBe('conflict')
    expect(classifySqliteError(driverError('SQLITE_CONSTRAINT_NOTNULL'))).toBe('conflict')
    expect(classifySqliteError(driverError('SQLITE_CANTOPEN'))).toBe('refused')
    expect(classifySqliteError(driverError('SQLITE_READONLY_DBMOVED'))).toBe('refused')
    expect(classifySqliteError(driverError('EACCES'))).toBe('refused')
    expect(classifySqliteError(driverError('SQLITE_ERROR', 'no such table: image_event'))).toBe('no-schema')
    expect(classifySqliteError(driverError('SQLITE_ERROR', 'near "SELEC": syntax error'))).toBeNull()
  })
})
