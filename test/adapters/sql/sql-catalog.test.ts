import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { createSqlCatalog } from '../../../src/adapters/sql/sql-catalog.js'
import type { SqlCatalog } from '../../../src/adapters/sql/sql-catalog.js'
import type { DriverError, DriverErrorClass } from '../../../src/adapters/sql/sql-errors.js'
import { classifySqliteError } from '../../../src/adapters/sqlite/sqlite-catalog.js'
import { CatalogUnavailableError, ImgpipeError, NotFoundError } from '../../../src/core/errors.js'
import type { CatalogTable } from '../../../src/core/ports/catalog.js'
import type { NewImage } from '../../../src/core/types.js'
import { recordingMemoryKysely } from '../../support/catalog-backends.js'
import { insertOneImage, recordOneAnalysis } from '../../support/catalog-writes.js'

// The catalog's behaviour is the contract suite (test/contracts/catalog-contract.ts, run by each adapter's
// test); this file covers what the adapters cannot show: retries of idempotent writes after a deadlock.

/** Fails the next `failures` INSERTs as a deadlock would, before they reach the database. */
class DeadlockPlugin implements KyselyPlugin {
  failures = 0
  attempts = 0
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind === 'InsertQueryNode') {
      this.attempts += 1
      if (this.failures > 0) {
        this.failures -= 1
        throw Object.assign(new Error('Deadlock found when trying to get lock'), { code: 'TEST_DEADLOCK' })
      }
    }
    return args.node
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

function classify(error: DriverError): DriverErrorClass | null {
  return error.code === 'TEST_DEADLOCK' ? 'contention' : classifySqliteError(error)
}

const image: NewImage = {
  stream: 's',
  imageNum: 1,
  imageFilename: 'a.jpg',
  imageObjectKey: 'image/s/a.jpg',
  contentSha256: 'a'.repeat(64),
  byteSize: 1,
  width: 1,
  height: 1,
  format: 'jpeg',
  status: 'received',
}

describe('createSqlCatalog', () => {
  let catalog: SqlCatalog
  let plugin: DeadlockPlugin

  async function open(): Promise<void> {
    plugin = new DeadlockPlugin()
    const recording = await recordingMemoryKysely([plugin])
    catalog = createSqlCatalog({
      kind: 'sqlite',
      description: 'sqlite::memory:',
      db: recording.db,
      classifyError: classify,
      release: recording.close,
    })
    plugin.attempts = 0 // the migration's own inserts do not count
  }

  afterEach(async () => {
    await catalog.close()
  })

  it('retries an idempotent write that lost a deadlock, and writes the row once', async () => {
    await open()
    plugin.failures = 2
    const { image: stored } = await insertOneImage(catalog, image)
    expect(stored).toMatchObject({ stream: image.stream, imageNum: image.imageNum, imageFilename: image.imageFilename })
    expect(plugin.attempts).toBe(3)
    expect((await catalog.tableCounts()).image_metadata).toBe(1)
  })

  it('gives up after three attempts with a retryable CatalogUnavailableError', async () => {
    await open()
    plugin.failures = 3
    const error = await insertOneImage(catalog, image).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CatalogUnavailableError)
    expect((error as CatalogUnavailableError).canRetry).toBe(true)
    expect(plugin.attempts).toBe(3)
  })

  it('rejects an event that belongs to another image, and a negative page size, as bugs', async () => {
    await open()
    const { image: stored } = await insertOneImage(catalog, image)
    const analysis = { previousImageId: null, l2Norm: 0, changedFraction: 0, maxAbsDifference: 0, analyzedAt: new Date() }
    const event = {
      imageId: stored.imageId + 1,
      differenceImageObjectKey: 'd.jpg',
      eventType: 'changed' as const,
      analyzer: 'a',
      analyzerVersion: '1',
    }
    const mismatch = await recordOneAnalysis(catalog, stored.imageId, analysis, event).catch((caught: unknown) => caught)
    expect(mismatch).toBeInstanceOf(ImgpipeError)
    expect((mismatch as ImgpipeError).code).toBe('IMGPIPE_INTERNAL')
    const negative = await catalog.listImagesByStatus('received', { limit: -1 }).catch((caught: unknown) => caught)
    expect((negative as ImgpipeError).code).toBe('IMGPIPE_INTERNAL')
    expect(await catalog.listImagesByStatus('received', { limit: 0 })).toEqual([])
  })

  it('refuses a table that is not one of the catalog tables', async () => {
    await open()
    const error = await catalog.tableRows('kysely_migration' as CatalogTable, { limit: 1 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NotFoundError)
  })
})
