/**
 * The check that the fault tests and `npm run chaos` rely on (test/support/pipeline-outcome.ts) must see what it
 * claims to: a lost row, a duplicated one, a changed value, corrupt bytes and orphan objects.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../src/adapters/fs/fs-object-store.js'
import { openSqliteBackend } from '../../src/adapters/sqlite/sqlite-catalog.js'
import { cleanEnv, runCli } from '../support/cli.js'
import { checkOutcome, comparable, embeddedRows } from '../support/pipeline-outcome.js'
import { catalogWithRawSql } from '../support/raw-sql.js'

const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-outcome-'))
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('the pipeline outcome check', () => {
  it('counts nothing on a clean run, and each kind of damage once', async () => {
    const args = ['--count', '8']
    const reference = comparable(await embeddedRows(args))
    const dbPath = path.join(dir, 'imgpipe.db')
    const objects = path.join(dir, 'objects')
    const result = await runCli(
      ['run', ...args],
      cleanEnv({ IMGPIPE_DATABASE_URL: `sqlite:${dbPath}`, IMGPIPE_OBJECT_STORE_URL: `file:${objects}` }),
    )
    expect(result.code, result.stderr).toBe(0)
    const catalog = catalogWithRawSql(openSqliteBackend({ path: dbPath }))
    const store = new FsObjectStore(objects)
    try {
      expect(await checkOutcome(catalog, store, reference)).toEqual({
        lost: 0,
        duplicated: 0,
        mismatched: 0,
        corrupt: 0,
        orphans: 0,
        problems: [],
      })

      await store.put('image/image_00002.jpg', Buffer.from('not the bytes'))
      await store.delete(['image/image_00005.jpg'])
      await store.put('difference_image/image_event_00009.jpg', Buffer.from('nobody names me'))
      await store.put('thumbnail/0000.jpg', Buffer.from('a cache, not an orphan'))
      await catalog.executeSql(`UPDATE image_metadata SET changed_fraction = 0.5 WHERE image_num = 4`)
      await catalog.executeSql(`DELETE FROM image_event_alert`)
      const damaged = await checkOutcome(catalog, store, reference)
      expect(damaged).toMatchObject({ lost: 2 + 1, duplicated: 0, mismatched: 1, corrupt: 1, orphans: 1 })
    } finally {
      await catalog.close()
    }
  })
})
