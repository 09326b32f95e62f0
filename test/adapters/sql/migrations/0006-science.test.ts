import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { catalogMigrations } from '../../../../src/adapters/sql/catalog-migrations.js'
import { scienceMigration } from '../../../../src/adapters/sql/migrations/0006-science.js'
import { EVENT_TYPES } from '../../../../src/core/event-types.js'

const NEW_DIA_COLUMNS = ['image_event_id', 'ap_flux', 'ap_flux_err', 'fwhm', 'elongation', 'nbad', 'nneg', 'edge_distance']

describe('0006-science migration', () => {
  let raw: Database.Database
  let db: Kysely<unknown>

  beforeEach(async () => {
    raw = new Database(':memory:')
    raw.pragma('foreign_keys = ON')
    db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) })
    // The schema as 0005 left it, with a detection in it.
    const migrations = catalogMigrations('sqlite')
    for (const name of ['0001-initial', '0002-nullable-difference-key', '0003-subscriptions', '0004-objects', '0005-observation-columns'])
      await migrations[name]!.up(db)
    raw.exec(
      `INSERT INTO dia_object (ra_deg, dec_deg, sky_key, n_detections, first_mjd, last_mjd, stream) VALUES (1, 2, 3, 1, 61000, 61000, 's')`,
    )
    raw.exec(`INSERT INTO dia_source (object_id, image_id, stream, ra_deg, dec_deg, mjd, filter, psf_flux, psf_flux_err, snr, real_bogus, kind, x, y)
      VALUES (1, 5, 's', 1, 2, 61000, 'r', 10, 1, 10, 1, 'new_source', 3, 4)`)
  })

  afterEach(async () => {
    await db.destroy()
  })

  const columns = (table: string): string[] => (raw.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name)
  const indexes = (): string[] =>
    (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map(
      (row) => row.name,
    )

  it('creates the science tables, seeds the event types and adds the nullable measurement columns, keeping the rows', async () => {
    await scienceMigration('sqlite').up(db)
    expect(raw.prepare('SELECT name, description FROM image_event_type ORDER BY name').all()).toEqual(
      EVENT_TYPES.map(({ name, description }) => ({ name, description })).sort((a, b) => (a.name < b.name ? -1 : 1)),
    )
    expect(columns('reference_image')).toEqual([
      'reference_id',
      'stream',
      'field',
      'filter',
      'version',
      'status',
      'object_key',
      'frames',
      'fwhm',
      'image_ids',
      'claimed_at',
      'created_at',
    ])
    expect(columns('diffim_run')).toContain('noise_correction')
    expect(columns('diffim_fake')).toEqual(['fake_id', 'image_id', 'x', 'y', 'flux', 'mag', 'expected_snr', 'recovered', 'measured_flux'])
    expect(columns('image_event_derivative_image')).toEqual([
      'derivative_id',
      'image_event_id',
      'name',
      'object_key',
      'content_type',
      'source_id',
    ])
    expect(columns('dia_source')).toEqual(expect.arrayContaining(NEW_DIA_COLUMNS))
    expect(indexes()).toEqual(expect.arrayContaining(['dia_source_event_idx', 'diffim_fake_image_idx', 'diffim_run_created_idx']))
    const row = raw.prepare('SELECT image_id, image_event_id, ap_flux, nbad, edge_distance FROM dia_source').get()
    expect(row).toEqual({ image_id: 5, image_event_id: null, ap_flux: null, nbad: null, edge_distance: null })
  })

  it('refuses a second reference version or a second derivative of the same name', async () => {
    await scienceMigration('sqlite').up(db)
    const reference =
      "INSERT INTO reference_image (stream, field, filter, version, status, image_ids) VALUES ('s', 'F', 'r', 1, 'building', '[]')"
    raw.exec(reference)
    expect(() => raw.exec(reference)).toThrow(/UNIQUE/)
    raw.exec(reference.replace(', 1,', ', 2,'))
    const derivative =
      "INSERT INTO image_event_derivative_image (image_event_id, name, object_key, content_type) VALUES (1, 'difference.fits', 'k', 'image/fits')"
    raw.exec(derivative)
    expect(() => raw.exec(derivative)).toThrow(/UNIQUE/)
  })

  it('finishes a run that stopped half-way (MySQL DDL is not transactional) and is a no-op on the full schema', async () => {
    raw.exec('CREATE TABLE image_event_type (name varchar(32) PRIMARY KEY, description varchar(255) NOT NULL)')
    raw.exec("INSERT INTO image_event_type VALUES ('changed', 'kept as it was')")
    raw.exec('ALTER TABLE dia_source ADD COLUMN image_event_id integer')
    await scienceMigration('sqlite').up(db)
    await scienceMigration('sqlite').up(db)
    expect(raw.prepare('SELECT count(*) AS n FROM image_event_type').get()).toEqual({ n: EVENT_TYPES.length })
    expect(raw.prepare("SELECT description FROM image_event_type WHERE name = 'changed'").get()).toEqual({ description: 'kept as it was' })
    expect(columns('dia_source').filter((name) => NEW_DIA_COLUMNS.includes(name))).toHaveLength(NEW_DIA_COLUMNS.length)
    expect(indexes().filter((name) => name === 'dia_source_event_idx')).toHaveLength(1)
  })
})
