import type { ColumnType, Generated, Kysely } from 'kysely'
import type { CatalogDatabase } from './catalog-schema.js'
import type { ObjectDatabase } from './object-schema.js'

/** The tables of migration 0006 as Kysely sees them. PostgreSQL may return integers as strings. */
type Int = ColumnType<number | string, number, number>
type Timestamp = ColumnType<Date | string, Date | string, Date | string>
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>

export interface ImageEventTypeTable {
  name: string
  description: string
}

export interface ReferenceImageTable {
  reference_id: Generated<number>
  stream: string
  field: string
  filter: string
  version: Int
  status: string
  object_key: Nullable<string>
  frames: Int
  fwhm: Nullable<number>
  /** JSON array of image ids. */
  image_ids: string
  claimed_at: Timestamp
  created_at: Timestamp
}

export interface DiffimRunTable {
  image_id: Int
  reference_id: Int
  psf_method: string
  science_fwhm: number
  reference_fwhm: number
  noise_correction: number
  candidates: Int
  detections: Int
  seconds: number
  created_at: Timestamp
}

export interface DiffimFakeTable {
  fake_id: Generated<number>
  image_id: Int
  x: number
  y: number
  flux: number
  mag: number
  expected_snr: number
  /** 0 or 1: MySQL has no boolean, and the same literal works everywhere. */
  recovered: Int
  measured_flux: Nullable<number>
}

export interface DerivativeImageTable {
  derivative_id: Generated<number>
  image_event_id: Int
  name: string
  object_key: string
  content_type: string
  source_id: Nullable<number>
}

export interface ScienceDatabase extends ObjectDatabase {
  image_event_type: ImageEventTypeTable
  reference_image: ReferenceImageTable
  diffim_run: DiffimRunTable
  diffim_fake: DiffimFakeTable
  image_event_derivative_image: DerivativeImageTable
}

/** Children first: the order for drops. `image_event_type` last: its rows are the migration's, not data. */
export const SCIENCE_TABLES_CHILDREN_FIRST = [
  'image_event_derivative_image',
  'diffim_fake',
  'diffim_run',
  'reference_image',
  'image_event_type',
] as const

/** The tables `emptyTables` clears: the data, not the seeded event types. */
export const SCIENCE_DATA_TABLES = SCIENCE_TABLES_CHILDREN_FIRST.filter((table) => table !== 'image_event_type')

export function scienceDb(db: Kysely<CatalogDatabase>): Kysely<ScienceDatabase> {
  return db as unknown as Kysely<ScienceDatabase>
}
