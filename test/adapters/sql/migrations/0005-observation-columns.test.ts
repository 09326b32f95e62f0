import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { catalogMigrations } from '../../../../src/adapters/sql/catalog-migrations.js'
import { observationColumnsMigration } from '../../../../src/adapters/sql/migrations/0005-observation-columns.js'

const OBSERVATION_COLUMNS = [
  'fits_hdu',
  'obs_mjd',
  'obs_time',
  'exposure_s',
  'filter',
  'field',
  'center_ra',
  'center_dec',
  'pixel_scale_arcsec',
  'footprint',
  'fits_header',
]

describe('0005-observation-columns migration', () => {
  let raw: Database.Database
  let db: Kysely<unknown>

  beforeEach(async () => {
    raw = new Database(':memory:')
    raw.pragma('foreign_keys = ON')
    db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) })
    // The schema as 0004 left it, with a row in it.
    const migrations = catalogMigrations('sqlite')
    for (const name of ['0001-initial', '0002-nullable-difference-key', '0003-subscriptions', '0004-objects'])
      await migrations[name]!.up(db)
    raw.exec("INSERT INTO image_metadata (image_filename, image_object_key, stream, image_num) VALUES ('a.jpg', 'image/a.jpg', 's', 1)")
  })

  afterEach(async () => {
    await db.destroy()
  })

  const columnNames = (): string[] => (raw.pragma('table_info(image_metadata)') as { name: string }[]).map((column) => column.name)
  const indexes = (): string[] =>
    (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'image_metadata'").all() as { name: string }[]).map(
      (row) => row.name,
    )

  it('adds the nullable observation columns and the (filter, obs_mjd) and obs_mjd indexes, keeping the rows', async () => {
    expect(columnNames()).not.toContain('fits_header')
    await observationColumnsMigration('sqlite').up(db)
    expect(columnNames()).toEqual(expect.arrayContaining(OBSERVATION_COLUMNS))
    expect(indexes()).toEqual(expect.arrayContaining(['image_metadata_filter_mjd_idx', 'image_metadata_obs_mjd_idx']))
    const row = raw.prepare('SELECT image_filename, filter, obs_mjd, fits_header FROM image_metadata WHERE image_num = 1').get()
    expect(row).toEqual({ image_filename: 'a.jpg', filter: null, obs_mjd: null, fits_header: null })
  })

  it('finishes a run that stopped half-way (MySQL DDL is not transactional) and is a no-op on the full schema', async () => {
    raw.exec('ALTER TABLE image_metadata ADD COLUMN fits_hdu integer')
    raw.exec('ALTER TABLE image_metadata ADD COLUMN obs_mjd double precision')
    raw.exec('CREATE INDEX image_metadata_obs_mjd_idx ON image_metadata (obs_mjd)')
    await observationColumnsMigration('sqlite').up(db)
    expect(columnNames()).toEqual(expect.arrayContaining(OBSERVATION_COLUMNS))
    await observationColumnsMigration('sqlite').up(db)
    expect(columnNames().filter((name) => OBSERVATION_COLUMNS.includes(name))).toHaveLength(OBSERVATION_COLUMNS.length)
  })
})
