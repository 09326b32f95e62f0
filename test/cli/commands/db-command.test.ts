import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeCatalog } from '../../../src/adapters/backend-options.js'
import { CATALOG_TABLES } from '../../../src/core/ports/catalog.js'
import { freshDatabaseUrl, testServerConfig } from '../../support/catalog-backends.js'
import type { FreshDatabase } from '../../support/catalog-backends.js'
import { cleanEnv, runCli } from '../../support/cli.js'
import type { CliResult } from '../../support/cli.js'
import { freshStoreUrl, s3TestUrl } from '../../support/store-backends.js'
import type { FreshStoreUrl } from '../../support/store-backends.js'

/** The built CLI, run as a user would. */
const imgpipe = (args: readonly string[], env: Record<string, string>): Promise<CliResult> => runCli(args, env)

/** The lines the CLI itself wrote on stderr (Node may add its own warnings). */
function reasonLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('imgpipe:') || line.startsWith('error:'))
}

interface Fixture {
  env: Record<string, string>
  db: FreshDatabase
  store: FreshStoreUrl
  where: string
  cleanup(): Promise<void>
}

async function openFixture(database: 'sqlite' | 'mysql' | 'postgres', storeKind: 'directory' | 's3'): Promise<Fixture> {
  const db = await freshDatabaseUrl(database)
  const store = await freshStoreUrl(storeKind)
  if (db === null || store === null) throw new Error(`test services for ${database} + ${storeKind} disappeared`)
  return {
    db,
    store,
    where: describeCatalog(db.config),
    env: cleanEnv({
      IMGPIPE_DATABASE_URL: db.url,
      IMGPIPE_DATABASE_PASSWORD: db.password,
      IMGPIPE_OBJECT_STORE_URL: store.url,
      // Node 20's AWS SDK prints a support notice on stderr; the reason line is what these tests read.
      NODE_NO_WARNINGS: '1',
    }),
    async cleanup() {
      await Promise.allSettled([db.cleanup(), store.cleanup()])
    },
  }
}

async function tableCounts(fixture: Fixture): Promise<Record<string, number>> {
  const catalog = fixture.db.openCatalog()
  try {
    return await catalog.tableCounts()
  } finally {
    await catalog.close()
  }
}

const FULL = { image_metadata: 10, image_event: 2, image_event_alert: 2 }
const EMPTY = { image_metadata: 0, image_event: 0, image_event_alert: 0 }

const backends = [
  { name: 'SQLite + directory', database: 'sqlite' as const, store: 'directory' as const, available: true },
  {
    name: 'MariaDB + S3',
    database: 'mysql' as const,
    store: 's3' as const,
    available: testServerConfig('mysql') !== null && s3TestUrl() !== null,
  },
  {
    name: 'PostgreSQL + directory',
    database: 'postgres' as const,
    store: 'directory' as const,
    available: testServerConfig('postgres') !== null,
  },
]

for (const backend of backends) {
  // One database per backend, taken through a life cycle: create, run, read, refuse, empty, reset.
  describe.skipIf(!backend.available)(`imgpipe db on ${backend.name}`, () => {
    let fixture: Fixture
    beforeAll(async () => {
      fixture = await openFixture(backend.database, backend.store)
    })
    afterAll(async () => {
      await fixture?.cleanup()
    })

    it('db create makes the tables, and says the schema is up to date the second time', async () => {
      const first = await imgpipe(['db', 'create'], fixture.env)
      expect(first.stderr).toBe('')
      expect(first.code).toBe(0)
      expect(first.stdout).toMatch(
        /^applied 0001-initial, 0002-nullable-difference-key, 0003-subscriptions, 0004-objects, 0005-observation-columns, 0006-science to .*: tables image_metadata, image_event, image_event_alert \(rows: image_metadata 0, image_event 0, image_event_alert 0\)\n$/,
      )
      expect(first.stdout).toContain(fixture.where)
      expect(await tableCounts(fixture)).toEqual(EMPTY)

      const again = await imgpipe(['db', 'create'], fixture.env)
      expect(again.code).toBe(0)
      expect(again.stdout).toContain(`schema up to date in ${fixture.where}`)
    })

    it('db counts --json gives the rows per table and the pipeline counts after a run', async () => {
      expect((await runCli(['run'], fixture.env)).code).toBe(0)
      const result = await imgpipe(['db', 'counts', '--json'], fixture.env)
      expect(result.code).toBe(0)
      const output = JSON.parse(result.stdout) as { database: string; tables: Record<string, number>; counts: Record<string, number> }
      expect(output.database).toBe(fixture.where)
      expect(output.tables).toEqual(FULL)
      expect(output.counts).toEqual({
        images: 10,
        imagesReceived: 0,
        imagesAnalyzed: 10,
        imagesFailed: 0,
        events: 2,
        alerts: 2,
        alertsUndelivered: 0,
      })
    })

    it('db show --json gives every row as the database holds it, with the original column names', async () => {
      const result = await imgpipe(['db', 'show', '--json'], fixture.env)
      expect(result.code).toBe(0)
      const output = JSON.parse(result.stdout) as {
        database: string
        tables: Record<string, { total: number; rows: Record<string, unknown>[]; nextAfter: number | null }>
      }
      expect(Object.keys(output.tables)).toEqual([...CATALOG_TABLES])
      const catalog = fixture.db.openCatalog()
      try {
        for (const table of CATALOG_TABLES) {
          expect(output.tables[table]?.rows).toEqual(await catalog.tableRows(table, { limit: 1000 }))
          expect(output.tables[table]).toMatchObject({ total: FULL[table], nextAfter: null })
        }
      } finally {
        await catalog.close()
      }
      const images = output.tables['image_metadata']?.rows ?? []
      expect(images).toHaveLength(10)
      expect(images[0]).toMatchObject({ image_id: 1, image_filename: 'image_00001.jpg', image_object_key: 'image/image_00001.jpg' })
      expect(output.tables['image_event']?.rows.map((row) => row['difference_image_object_key'])).toEqual([
        'difference_image/image_event_00001.jpg',
        'difference_image/image_event_00002.jpg',
      ])
    })

    it('db show prints each table under a heading with its row count', async () => {
      const result = await imgpipe(['db', 'show', '--width', '120'], fixture.env)
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(`database: ${fixture.where}\n`)
      for (const heading of ['image_metadata: 10 rows', 'image_event: 2 rows', 'image_event_alert: 2 rows']) {
        expect(result.stdout.split('\n')).toContain(heading)
      }
      expect(result.stdout).toContain('image_00010.jpg')
    })

    it('db reset and db empty refuse without --yes, say what they would delete, and change nothing', async () => {
      for (const command of ['reset', 'empty']) {
        const result = await imgpipe(['db', command], fixture.env)
        expect(result.code).toBe(2)
        const lines = reasonLines(result.stderr)
        expect(lines).toHaveLength(1)
        expect(lines[0]).toContain(
          `db ${command} would delete every row of image_metadata, image_event, image_event_alert in ${fixture.where}`,
        )
        expect(lines[0]).toContain('--yes')
        expect(lines[0]).toContain('[IMGPIPE_USAGE]')
        expect(result.stdout).toBe('')
      }
      expect(await tableCounts(fixture)).toEqual(FULL)
    })

    it('db empty --yes deletes every row and keeps the tables: a later run records the images again', async () => {
      const result = await imgpipe(['db', 'empty', '--yes'], fixture.env)
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(`deleted every row of image_metadata, image_event, image_event_alert in ${fixture.where} (14 rows:`)
      expect(await tableCounts(fixture)).toEqual(EMPTY)
      expect((await runCli(['run'], fixture.env)).code).toBe(0)
      expect(await tableCounts(fixture)).toEqual(FULL)
    })

    it('db reset --yes drops and recreates the tables: empty, and a later run works', async () => {
      const result = await imgpipe(['db', 'reset', '--yes'], fixture.env)
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(
        `dropped and recreated image_metadata, image_event, image_event_alert in ${fixture.where} (14 rows: image_metadata 10, image_event 2, image_event_alert 2 deleted)\n`,
      )
      expect(await tableCounts(fixture)).toEqual(EMPTY)
      expect((await runCli(['run'], fixture.env)).code).toBe(0)
      expect(await tableCounts(fixture)).toEqual(FULL)
    })
  })
}

describe('imgpipe db show as text (SQLite)', () => {
  let fixture: Fixture
  beforeAll(async () => {
    fixture = await openFixture('sqlite', 'directory')
    expect((await runCli(['run'], fixture.env)).code).toBe(0)
  })
  afterAll(async () => {
    await fixture?.cleanup()
  })

  /** The lines of one table's section: from its heading to the blank line after it. */
  function section(stdout: string, table: string): string[] {
    const lines = stdout.split('\n')
    const start = lines.findIndex((line) => line.startsWith(`${table}:`))
    const end = lines.indexOf('', start)
    return lines.slice(start + 1, end === -1 ? undefined : end)
  }

  it('aligns every value under its column header when nothing limits the width', async () => {
    const result = await imgpipe(['db', 'show'], fixture.env)
    expect(result.code).toBe(0)
    const [header, rule, first, last] = [
      ...section(result.stdout, 'image_metadata').slice(0, 3),
      section(result.stdout, 'image_metadata')[11],
    ]
    for (const column of ['image_filename', 'image_object_key', 'stream', 'status', 'content_sha256']) expect(header).toContain(column)
    expect(rule).toMatch(/^-+( {2}-+)+$/)
    expect(first!.indexOf('image_00001.jpg')).toBe(header!.indexOf('image_filename'))
    expect(last!.indexOf('image_00010.jpg')).toBe(header!.indexOf('image_filename'))
    expect(first!.indexOf('image/image_00001.jpg')).toBe(header!.indexOf('image_object_key'))
    // A SHA-256 is 64 characters: cut at 40 with an ellipsis.
    expect(first).toMatch(/ [0-9a-f]{39}… /)
  })

  it('fits a narrow width with the most telling columns and names the others', async () => {
    const result = await imgpipe(['db', 'show', '--width', '72'], fixture.env)
    expect(result.code).toBe(0)
    const lines = section(result.stdout, 'image_metadata')
    const table = lines.filter((line) => !line.startsWith('('))
    expect(table).toHaveLength(12)
    expect(table.every((line) => line.length <= 72)).toBe(true)
    expect(table[0]).toMatch(/^image_id +image_filename +stream +image_num .*status/)
    expect(lines.at(-1)).toMatch(/^\(\d+ more columns did not fit: .*content_sha256; --vertical or --json show every column\)$/)
  })

  it('switches to records on a very narrow width, and prints records with --vertical', async () => {
    const narrow = await imgpipe(['db', 'show', '--table', 'image_event', '--width', '30'], fixture.env)
    expect(narrow.code).toBe(0)
    expect(narrow.stdout).toContain('-[ image_event 1 ]')
    const vertical = await imgpipe(['db', 'show', '--table', 'image_metadata', '--limit', '1', '--vertical'], fixture.env)
    expect(vertical.code).toBe(0)
    expect(vertical.stdout).toContain('-[ image_metadata 1 ]\n')
    expect(vertical.stdout).toMatch(/\ncontent_sha256 +[0-9a-f]{64}\n/)
    expect(vertical.stdout).toMatch(/\nerror_message +NULL\n/)
  })

  it('pages with --limit and --after, and says how to get the next page', async () => {
    const first = await imgpipe(['db', 'show', '--table', 'image_metadata', '--limit', '4', '--json'], fixture.env)
    const page = JSON.parse(first.stdout) as {
      tables: { image_metadata: { rows: { image_id: number }[]; nextAfter: number | null; total: number } }
    }
    expect(page.tables.image_metadata.rows.map((row) => row.image_id)).toEqual([1, 2, 3, 4])
    expect(page.tables.image_metadata).toMatchObject({ nextAfter: 4, total: 10 })
    const last = await imgpipe(['db', 'show', '--table', 'image_metadata', '--limit', '4', '--after', '8', '--json'], fixture.env)
    const lastPage = JSON.parse(last.stdout) as typeof page
    expect(lastPage.tables.image_metadata.rows.map((row) => row.image_id)).toEqual([9, 10])
    expect(lastPage.tables.image_metadata.nextAfter).toBeNull()

    const text = await imgpipe(['db', 'show', '--table', 'image_metadata', '--limit', '4'], fixture.env)
    expect(text.stdout).toContain('image_metadata: 4 of 10 rows shown; next page: --table image_metadata --after 4\n')
    expect(text.stdout).not.toContain('image_event:')
  })

  it('rejects an unknown table with exit code 2, listing the three', async () => {
    const result = await imgpipe(['db', 'show', '--table', 'images'], fixture.env)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('image_metadata, image_event, image_event_alert')
    expect(result.stdout).toBe('')
  })

  it('db counts prints the rows per table aligned, and the pipeline counts', async () => {
    const result = await imgpipe(['db', 'counts'], fixture.env)
    expect(result.code).toBe(0)
    expect(result.stdout.split('\n')).toEqual([
      `database: ${fixture.where}`,
      'table              rows',
      '-----------------  ----',
      'image_metadata       10',
      'image_event           2',
      'image_event_alert     2',
      'pipeline: 10 images (10 analysed, 0 pending, 0 failed), 2 image events, 2 alerts (0 undelivered)',
      '',
    ])
  })
})

describe('imgpipe db command line', () => {
  it('has help for db and every subcommand', async () => {
    const help = await imgpipe(['db', '--help'], cleanEnv())
    expect(help.code).toBe(0)
    for (const command of ['create', 'reset', 'empty', 'show', 'counts']) {
      expect(help.stdout).toContain(command)
      const sub = await imgpipe(['db', command, '--help'], cleanEnv())
      expect(sub.code).toBe(0)
      expect(sub.stdout).toContain(`Usage: imgpipe db ${command}`)
    }
  })

  it('says in one line, with exit code 1, that the database does not answer, and never prints its password', async () => {
    const result = await imgpipe(
      ['db', 'counts'],
      cleanEnv({ IMGPIPE_DATABASE_URL: 'mysql://imgpipe@127.0.0.1:1/imgpipe', IMGPIPE_DATABASE_PASSWORD: 'hunter2-not-printed' }),
    )
    expect(result.code).toBe(1)
    const lines = reasonLines(result.stderr)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('[IMGPIPE_CATALOG_UNAVAILABLE]')
    expect(result.stderr + result.stdout).not.toContain('hunter2')
  })

  it('says to create the tables with `imgpipe db create` when the database has none yet', async () => {
    const db = await freshDatabaseUrl('sqlite')
    try {
      // An empty file is an SQLite database without tables.
      if (db?.config.kind !== 'sqlite') throw new Error('expected a SQLite database')
      await writeFile(db.config.path, '')
      const result = await imgpipe(['db', 'show'], cleanEnv({ IMGPIPE_DATABASE_URL: db.url }))
      expect(result.code).toBe(1)
      expect(reasonLines(result.stderr)).toHaveLength(1)
      expect(result.stderr).toContain('the catalog tables are missing, create or migrate them with `imgpipe db create`')
    } finally {
      await db?.cleanup()
    }
  })

  it('says to run `imgpipe db create` when there is no database file, and makes none', async () => {
    const db = await freshDatabaseUrl('sqlite')
    try {
      if (db?.config.kind !== 'sqlite') throw new Error('expected a SQLite database')
      const result = await imgpipe(['db', 'show'], cleanEnv({ IMGPIPE_DATABASE_URL: db.url }))
      expect(result.code).toBe(1)
      expect(reasonLines(result.stderr)).toEqual([
        `imgpipe: no catalog at ${db.url}: create it with \`imgpipe db create\` (or point IMGPIPE_DATABASE_URL / --database-url at an existing one) [IMGPIPE_NOT_FOUND]`,
      ])
      expect(existsSync(db.config.path)).toBe(false)
    } finally {
      await db?.cleanup()
    }
  })
})
