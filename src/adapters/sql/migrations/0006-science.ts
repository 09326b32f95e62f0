import type { Kysely, Migration } from 'kysely'
import { EVENT_TYPES } from '../../../core/event-types.js'
import { indexNames } from '../adopt-original-tables.js'
import { MAX_OBSERVATION_TEXT } from '../column-limits.js'
import { autoIncrementPrimaryKey, tableOptions, timestampDefault, timestampType } from '../sql-dialect.js'
import type { SqlDialectKind } from '../sql-dialect.js'

/**
 * Difference imaging (issue 18): `image_event_type` (the names `image_event.event_type` holds, seeded),
 * `reference_image` (versioned references per stream, field and filter; a `building` row is a build claim, unique
 * per version so that two processes cannot both claim one), `diffim_run` (one per science image) with its
 * `diffim_fake` rows, `image_event_derivative_image` (the files an analysis made for an event), and the rest of a
 * detection's measurement plus its event on `dia_source`, all nullable so 0004's rows stay valid.
 *
 * No foreign key to the original's tables: its create script drops and re-creates them, which a reference from
 * here would block (the delivery tables need bringing back for that reason, see catalog-migrations.ts). Booleans are
 * integers 0/1, as in 0003.
 *
 * Only what is missing is made, as in 0005: MySQL's DDL is not transactional, so a run that stopped half-way must be
 * able to finish.
 */
export function scienceMigration(kind: SqlDialectKind): Migration {
  const timestamp = timestampType(kind)
  const now = timestampDefault(kind)
  const id = autoIncrementPrimaryKey(kind)
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const existing = new Map((await db.introspection.getTables()).map((table) => [table.name, table]))
      const missing = (table: string): boolean => !existing.has(table)

      if (missing('image_event_type')) {
        await db.schema
          .createTable('image_event_type')
          .addColumn('name', 'varchar(32)', (column) => column.primaryKey())
          .addColumn('description', 'varchar(255)', (column) => column.notNull())
          .$call(tableOptions(kind))
          .execute()
      }
      // Seeded by name, so a re-run (or a database that has some rows) ends with each row once.
      const types = db as unknown as Kysely<{ image_event_type: { name: string; description: string } }>
      const have = new Set((await types.selectFrom('image_event_type').select('name').execute()).map((row) => row.name))
      const seed = EVENT_TYPES.filter((type) => !have.has(type.name)).map(({ name, description }) => ({ name, description }))
      if (seed.length > 0) await types.insertInto('image_event_type').values(seed).execute()

      if (missing('reference_image')) {
        await db.schema
          .createTable('reference_image')
          .addColumn('reference_id', 'integer', id)
          .addColumn('stream', 'varchar(255)', (column) => column.notNull())
          .addColumn('field', `varchar(${MAX_OBSERVATION_TEXT})`, (column) => column.notNull())
          .addColumn('filter', `varchar(${MAX_OBSERVATION_TEXT})`, (column) => column.notNull())
          .addColumn('version', 'integer', (column) => column.notNull())
          .addColumn('status', 'varchar(16)', (column) => column.notNull())
          .addColumn('object_key', 'varchar(512)')
          .addColumn('frames', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('fwhm', 'double precision')
          .addColumn('image_ids', 'text', (column) => column.notNull())
          .addColumn('claimed_at', timestamp, (column) => column.notNull().defaultTo(now))
          .addColumn('created_at', timestamp, (column) => column.notNull().defaultTo(now))
          .addUniqueConstraint('reference_image_version_key', ['stream', 'field', 'filter', 'version'])
          .$call(tableOptions(kind))
          .execute()
      }

      if (missing('diffim_run')) {
        await db.schema
          .createTable('diffim_run')
          .addColumn('image_id', 'integer', (column) => column.primaryKey())
          .addColumn('reference_id', 'integer', (column) => column.notNull())
          .addColumn('psf_method', 'varchar(64)', (column) => column.notNull())
          .addColumn('science_fwhm', 'double precision', (column) => column.notNull())
          .addColumn('reference_fwhm', 'double precision', (column) => column.notNull())
          .addColumn('noise_correction', 'double precision', (column) => column.notNull())
          .addColumn('candidates', 'integer', (column) => column.notNull())
          .addColumn('detections', 'integer', (column) => column.notNull())
          .addColumn('seconds', 'double precision', (column) => column.notNull())
          .addColumn('created_at', timestamp, (column) => column.notNull().defaultTo(now))
          .$call(tableOptions(kind))
          .execute()
      }

      if (missing('diffim_fake')) {
        await db.schema
          .createTable('diffim_fake')
          .addColumn('fake_id', 'integer', id)
          .addColumn('image_id', 'integer', (column) => column.notNull())
          .addColumn('x', 'double precision', (column) => column.notNull())
          .addColumn('y', 'double precision', (column) => column.notNull())
          .addColumn('flux', 'double precision', (column) => column.notNull())
          .addColumn('mag', 'double precision', (column) => column.notNull())
          .addColumn('expected_snr', 'double precision', (column) => column.notNull())
          .addColumn('recovered', 'integer', (column) => column.notNull())
          .addColumn('measured_flux', 'double precision')
          .$call(tableOptions(kind))
          .execute()
      }

      if (missing('image_event_derivative_image')) {
        await db.schema
          .createTable('image_event_derivative_image')
          .addColumn('derivative_id', 'integer', id)
          .addColumn('image_event_id', 'integer', (column) => column.notNull())
          .addColumn('name', 'varchar(255)', (column) => column.notNull())
          .addColumn('object_key', 'varchar(512)', (column) => column.notNull())
          .addColumn('content_type', 'varchar(128)', (column) => column.notNull())
          .addColumn('source_id', 'integer')
          .addUniqueConstraint('image_event_derivative_image_name_key', ['image_event_id', 'name'])
          .$call(tableOptions(kind))
          .execute()
      }

      const diaColumns = new Set(existing.get('dia_source')?.columns.map((column) => column.name) ?? [])
      for (const [name, type] of [
        ['image_event_id', 'integer'],
        ['ap_flux', 'double precision'],
        ['ap_flux_err', 'double precision'],
        ['fwhm', 'double precision'],
        ['elongation', 'double precision'],
        ['nbad', 'integer'],
        ['nneg', 'integer'],
        ['edge_distance', 'double precision'],
      ] as const) {
        if (!diaColumns.has(name)) await db.schema.alterTable('dia_source').addColumn(name, type).execute()
      }

      for (const [table, index, columns] of [
        ['dia_source', 'dia_source_event_idx', ['image_event_id']],
        ['diffim_fake', 'diffim_fake_image_idx', ['image_id']],
        // fakeRecoveries: runs since a time, joined to their reference's stream.
        ['diffim_run', 'diffim_run_created_idx', ['created_at']],
      ] as const) {
        if (!(await indexNames(db, kind, table)).has(index)) {
          await db.schema
            .createIndex(index)
            .on(table)
            .columns([...columns])
            .execute()
        }
      }
    },
  }
}
