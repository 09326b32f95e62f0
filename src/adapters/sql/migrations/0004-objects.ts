import type { Kysely, Migration } from 'kysely'
import { autoIncrementPrimaryKey, tableOptions, timestampDefault, timestampType } from '../sql-dialect.js'
import type { SqlDialectKind } from '../sql-dialect.js'
import { LOCK_ZONE_COUNT } from '../object-schema.js'

/**
 * Objects and watchlists (issue 19): `dia_object` (one per astrophysical source, with its mean position and its
 * sky key), `dia_source` (each detection, with its object), `dia_zone_lock` (one row per 0.1° declination band:
 * a batch locks the bands it looks in, so two processes cannot both create an object for one source), and
 * `watchlist` + `watchlist_cone`. Positions are `ra_deg`/`dec_deg` (`dec` is a keyword in MySQL). Sky keys are
 * 32-bit integers with a plain index (src/analysis/sky-index/sky-zones.ts).
 */
export function objectsMigration(kind: SqlDialectKind): Migration {
  const timestamp = timestampType(kind)
  const now = timestampDefault(kind)
  const id = autoIncrementPrimaryKey(kind)
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('dia_object')
        .addColumn('object_id', 'integer', id)
        .addColumn('ra_deg', 'double precision', (column) => column.notNull())
        .addColumn('dec_deg', 'double precision', (column) => column.notNull())
        .addColumn('sky_key', 'integer', (column) => column.notNull())
        .addColumn('n_detections', 'integer', (column) => column.notNull())
        .addColumn('first_mjd', 'double precision', (column) => column.notNull())
        .addColumn('last_mjd', 'double precision', (column) => column.notNull())
        .addColumn('stream', 'varchar(255)', (column) => column.notNull())
        // Per filter: n, Σf, Σ1/σ², Σf/σ² (JSON): plain and weighted mean fluxes without a column per band.
        .addColumn('flux_sums', 'varchar(2048)', (column) => column.notNull().defaultTo('{}'))
        .addColumn('created_at', timestamp, (column) => column.notNull().defaultTo(now))
        .$call(tableOptions(kind))
        .execute()
      await db.schema.createIndex('dia_object_sky_key_idx').on('dia_object').column('sky_key').execute()

      await db.schema
        .createTable('dia_source')
        .addColumn('source_id', 'integer', id)
        .addColumn('object_id', 'integer', (column) => column.notNull())
        .addColumn('image_id', 'integer')
        .addColumn('stream', 'varchar(255)', (column) => column.notNull())
        .addColumn('ra_deg', 'double precision', (column) => column.notNull())
        .addColumn('dec_deg', 'double precision', (column) => column.notNull())
        .addColumn('mjd', 'double precision', (column) => column.notNull())
        .addColumn('filter', 'varchar(16)', (column) => column.notNull())
        .addColumn('psf_flux', 'double precision', (column) => column.notNull())
        .addColumn('psf_flux_err', 'double precision', (column) => column.notNull())
        .addColumn('snr', 'double precision', (column) => column.notNull())
        .addColumn('real_bogus', 'double precision', (column) => column.notNull())
        .addColumn('kind', 'varchar(16)', (column) => column.notNull())
        .addColumn('x', 'double precision', (column) => column.notNull())
        .addColumn('y', 'double precision', (column) => column.notNull())
        .addColumn('created_at', timestamp, (column) => column.notNull().defaultTo(now))
        .addForeignKeyConstraint('dia_source_object_fkey', ['object_id'], 'dia_object', ['object_id'], (fk) => fk.onDelete('cascade'))
        .$call(tableOptions(kind))
        .execute()
      await db.schema.createIndex('dia_source_object_idx').on('dia_source').columns(['object_id', 'mjd']).execute()
      await db.schema.createIndex('dia_source_image_idx').on('dia_source').column('image_id').execute()

      await db.schema
        .createTable('dia_zone_lock')
        .addColumn('zone', 'integer', (column) => column.primaryKey())
        .addColumn('version', 'integer', (column) => column.notNull().defaultTo(0))
        .$call(tableOptions(kind))
        .execute()
      const zones = Array.from({ length: LOCK_ZONE_COUNT }, (_, zone) => ({ zone, version: 0 }))
      const typed = db as unknown as Kysely<{ dia_zone_lock: { zone: number; version: number } }>
      for (let at = 0; at < zones.length; at += 500)
        await typed
          .insertInto('dia_zone_lock')
          .values(zones.slice(at, at + 500))
          .execute()

      await db.schema
        .createTable('watchlist')
        .addColumn('watchlist_id', 'integer', id)
        .addColumn('name', 'varchar(64)', (column) => column.notNull())
        .addColumn('created_at', timestamp, (column) => column.notNull().defaultTo(now))
        .addUniqueConstraint('watchlist_name_key', ['name'])
        .$call(tableOptions(kind))
        .execute()
      await db.schema
        .createTable('watchlist_cone')
        .addColumn('cone_id', 'integer', id)
        .addColumn('watchlist_id', 'integer', (column) => column.notNull())
        .addColumn('name', 'varchar(255)', (column) => column.notNull())
        .addColumn('ra_deg', 'double precision', (column) => column.notNull())
        .addColumn('dec_deg', 'double precision', (column) => column.notNull())
        .addColumn('radius_arcsec', 'double precision', (column) => column.notNull())
        .addColumn('sky_key', 'integer', (column) => column.notNull())
        .addForeignKeyConstraint('watchlist_cone_watchlist_fkey', ['watchlist_id'], 'watchlist', ['watchlist_id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .$call(tableOptions(kind))
        .execute()
      await db.schema.createIndex('watchlist_cone_sky_key_idx').on('watchlist_cone').column('sky_key').execute()
      // max(radius_arcsec), the widest cone a match must look around, from the index instead of a scan.
      await db.schema.createIndex('watchlist_cone_radius_idx').on('watchlist_cone').column('radius_arcsec').execute()
      await db.schema.createIndex('watchlist_cone_watchlist_idx').on('watchlist_cone').column('watchlist_id').execute()
    },
  }
}
