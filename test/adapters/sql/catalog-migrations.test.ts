import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DELIVERY_TABLES_CHILDREN_FIRST } from '../../../src/adapters/sql/subscription-schema.js'
import { OBJECT_TABLES_CHILDREN_FIRST } from '../../../src/adapters/sql/object-schema.js'
import { SCIENCE_TABLES_CHILDREN_FIRST } from '../../../src/adapters/sql/science-schema.js'
import {
  catalogMigrations,
  dropCatalog,
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  migrateCatalog,
} from '../../../src/adapters/sql/catalog-migrations.js'

describe('catalog migrations', () => {
  let raw: Database.Database
  let db: Kysely<unknown>

  const tables = (): string[] =>
    (
      raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
        name: string
      }[]
    ).map((row) => row.name)

  beforeEach(() => {
    raw = new Database(':memory:')
    raw.pragma('foreign_keys = ON')
    db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) })
  })

  afterEach(async () => {
    await db.destroy()
  })

  it('names migrations so that they sort in the order they must run', () => {
    const names = Object.keys(catalogMigrations('sqlite'))
    expect(names).toEqual([...names].sort())
    for (const name of names) expect(name).toMatch(/^\d{4}-[a-z0-9-]+$/)
  })

  it('applies pending migrations once and records them in imgpipe_migration, not in Kysely defaults', async () => {
    expect(await migrateCatalog(db, 'sqlite')).toEqual([
      '0001-initial',
      '0002-nullable-difference-key',
      '0003-subscriptions',
      '0004-objects',
      '0005-observation-columns',
      '0006-science',
    ])
    expect(await migrateCatalog(db, 'sqlite')).toEqual([])
    expect(tables()).toEqual(
      [
        'image_event',
        'image_event_alert',
        'image_metadata',
        ...DELIVERY_TABLES_CHILDREN_FIRST,
        ...OBJECT_TABLES_CHILDREN_FIRST,
        ...SCIENCE_TABLES_CHILDREN_FIRST,
        MIGRATION_TABLE,
        MIGRATION_LOCK_TABLE,
      ].sort(),
    )
    expect(raw.prepare(`SELECT name FROM ${MIGRATION_TABLE}`).all()).toEqual([
      { name: '0001-initial' },
      { name: '0002-nullable-difference-key' },
      { name: '0003-subscriptions' },
      { name: '0004-objects' },
      { name: '0005-observation-columns' },
      { name: '0006-science' },
    ])
  })

  it('never touches existing rows when run again', async () => {
    await migrateCatalog(db, 'sqlite')
    raw.exec("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('a.jpg', 'image/a.jpg')")
    await migrateCatalog(db, 'sqlite')
    expect(raw.prepare('SELECT image_filename FROM image_metadata').all()).toEqual([{ image_filename: 'a.jpg' }])
  })

  it('drops the tables with their data and the history, after which migrating starts over', async () => {
    await migrateCatalog(db, 'sqlite')
    raw.exec("INSERT INTO image_metadata (image_filename, image_object_key) VALUES ('a.jpg', 'image/a.jpg')")
    raw.exec("INSERT INTO image_event (image_id, difference_image_object_key) VALUES (1, 'difference_image/a.jpg')")
    raw.exec('INSERT INTO image_event_alert (image_event_id) VALUES (1)')
    await dropCatalog(db)
    expect(tables()).toEqual([])
    await dropCatalog(db) // nothing left to drop: still fine
    expect(await migrateCatalog(db, 'sqlite')).toEqual([
      '0001-initial',
      '0002-nullable-difference-key',
      '0003-subscriptions',
      '0004-objects',
      '0005-observation-columns',
      '0006-science',
    ])
    expect(raw.prepare('SELECT count(*) AS n FROM image_metadata').get()).toEqual({ n: 0 })
  })

  it('reports a failing migration as an error', async () => {
    raw.exec('CREATE TABLE image_metadata (x integer)') // in the way of 0001-initial
    await expect(migrateCatalog(db, 'sqlite')).rejects.toThrow(/image_metadata/)
  })
})
